package dev.tofu.internal.engine;

import java.util.concurrent.atomic.LongAdder;

/**
 * The engine's frame and byte counts, in and out, for {@code Reactor.stats()}.
 *
 * <p>Invariant: a reader that sees a batch of frames counted also sees their bytes. Each batch adds
 * its bytes before its frames, and every {@link LongAdder} update is a volatile write, so reading
 * the frames first and the bytes after never finds the frames without their bytes (a test or a
 * dashboard that waits until {@code messagesOut} reaches N may compare {@code bytesOut} at once).
 * Nothing more is promised: the four figures are not read atomically together.
 *
 * <p>Threads: channel readers call {@link #countIn}, channel writers {@link #countOut}, any thread
 * reads. No locks.
 */
public final class TrafficCounters {
    private final LongAdder messagesIn = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder messagesOut = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();

    /** Creates counters at zero. */
    public TrafficCounters() {
    }

    /** Counts {@code n} frames of {@code bytes} bytes in all as read (bytes first: see the class comment). */
    public void countIn(int n, long bytes) {
        bytesIn.add(bytes);
        messagesIn.add(n);
    }

    /** Counts {@code n} frames of {@code bytes} bytes in all as written (bytes first: see the class comment). */
    public void countOut(int n, long bytes) {
        bytesOut.add(bytes);
        messagesOut.add(n);
    }

    /** Frames read so far. */
    public long messagesIn() {
        return messagesIn.sum();
    }

    /** Bytes read so far, frame headers included. */
    public long bytesIn() {
        return bytesIn.sum();
    }

    /** Frames written so far. */
    public long messagesOut() {
        return messagesOut.sum();
    }

    /** Bytes written so far, frame headers included. */
    public long bytesOut() {
        return bytesOut.sum();
    }
}
