package dev.tofu.internal.engine;

import dev.tofu.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * An engine's timeout checker (Options idle, handshake and frame timeouts): one virtual thread,
 * started with the first watched channel, that looks at every watched channel about four times per
 * shortest timeout and asks the ones past a deadline to close.
 *
 * <p>Invariants: the thread exists only while timeouts are configured, the engine is running and
 * a channel has been watched; once {@link #stop} returns, no thread of this watchdog is alive
 * (or it is reported in the log) and no new one starts. The watchdog never blocks on a channel:
 * {@link IoChannel#checkTimeouts} only reads volatile clocks and, at most, starts a close.
 *
 * <p>Threads: channel creators call {@link #watch}, channel finishers {@link #forget}, the engine's
 * closer {@link #stop}; all are safe from any thread.
 */
final class Watchdog {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);
    private static final Thread STOPPED = Thread.ofVirtual().unstarted(() -> { });

    private final long tickNanos; // 0 when no timeout is configured
    private final long handshakeNanos; // each 0 when off; converted once here, not per tick and channel
    private final long idleNanos;
    private final long frameNanos;
    private final Set<IoChannel> watched = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Thread> thread = new AtomicReference<>();
    private final EngineCounters counters;

    Watchdog(Options options, EngineCounters counters) {
        this.counters = counters;
        this.handshakeNanos = saturatedNanos(options.handshakeTimeout());
        this.idleNanos = saturatedNanos(options.idleTimeout());
        this.frameNanos = saturatedNanos(options.frameTimeout());
        long shortest = Long.MAX_VALUE;
        for (long t : new long[] {handshakeNanos, idleNanos, frameNanos}) {
            if (t != 0) {
                shortest = Math.min(shortest, t);
            }
        }
        this.tickNanos = shortest == Long.MAX_VALUE ? 0
                : Math.clamp(shortest / 4, TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(1));
    }

    /** Whether readers must note when each frame starts (a frame timeout is set). */
    boolean tracksFrameStarts() {
        return frameNanos != 0;
    }

    /**
     * Which configured timeout a channel with these clocks ({@link System#nanoTime()} values) has
     * passed at {@code now}, as text for the log, or {@code null} if none.
     *
     * @param awaitingHello an accepted channel that has not received a complete frame yet
     * @param frameStarted  when the frame being read started, 0 between frames
     */
    String overdue(long now, boolean awaitingHello, long openedAt, long lastHeard, long frameStarted) {
        if (awaitingHello && handshakeNanos != 0 && now - openedAt > handshakeNanos) {
            return "no first frame within the handshake timeout " + Duration.ofNanos(handshakeNanos);
        }
        if (idleNanos != 0 && now - lastHeard > idleNanos) {
            return "nothing received within the idle timeout " + Duration.ofNanos(idleNanos);
        }
        if (frameNanos != 0 && frameStarted != 0 && now - frameStarted > frameNanos) {
            return "a frame not completed within the frame timeout " + Duration.ofNanos(frameNanos);
        }
        return null;
    }

    /** Whether any timeout is configured (channels keep their clocks only then). */
    boolean enabled() {
        return tickNanos != 0;
    }

    /** Watches {@code ch} until {@link #forget}; starts the thread on first use. */
    void watch(IoChannel ch) {
        if (tickNanos == 0) {
            return;
        }
        watched.add(ch);
        if (thread.get() == null) {
            Thread t = Thread.ofVirtual().name("tofu-watchdog").unstarted(this::run);
            if (thread.compareAndSet(null, t)) {
                Channel.LIVE_THREADS.incrementAndGet();
                counters.threads.incrementAndGet();
                t.start();
            }
        }
    }

    void forget(IoChannel ch) {
        watched.remove(ch);
    }

    /** Ends the thread (if any) and waits up to {@code deadlineNanos} (System.nanoTime) for it. */
    void stop(long deadlineNanos) {
        Thread t = thread.getAndSet(STOPPED);
        if (t == null || t == STOPPED) {
            return;
        }
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (true) {
            try {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                    LOG.warn("the timeout watchdog did not end in time");
                }
                break;
            } catch (InterruptedException e) {
                interrupted = true; // join again: a reactor closed from an interrupted thread leaves no thread behind
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (thread.get() != STOPPED) {
                LockSupport.parkNanos(this, tickNanos);
                long now = System.nanoTime();
                for (IoChannel ch : watched) {
                    ch.checkTimeouts(now);
                }
            }
        } finally {
            counters.threads.decrementAndGet();
            Channel.LIVE_THREADS.decrementAndGet();
        }
    }

    static long saturatedNanos(Duration t) {
        try {
            return t.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
