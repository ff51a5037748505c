package dev.tofu.stress.load;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The counters of one measurement, shared by its driver threads (every field is thread-safe).
 * Everything is counted from start to end (accounting); rates and latency only while
 * {@link #measuring} is set.
 *
 * <p>Drivers do not count here message by message: each {@link Flow} counts in fields of its own
 * and adds them here every few hundred replies and when it ends, so the drivers of a measurement
 * share no cache line per message (a shared counter hit per message by threads on both cores
 * costs the system under test a cache miss each time, and more the more its threads move between
 * cores). The totals are exact once every flow has ended; while it runs they lag by at most a
 * few hundred messages per flow.
 */
public final class Stats {
    private static final int MAX_PROBLEMS = 30;

    public final LongAdder sent = new LongAdder();
    public final LongAdder echoed = new LongAdder();
    public final LongAdder returned = new LongAdder();
    public final LongAdder lost = new LongAdder();
    public final LongAdder duplicated = new LongAdder();
    public final LongAdder corrupted = new LongAdder();
    public final LongAdder connectionErrors = new LongAdder();
    public final LongAdder connects = new LongAdder();
    public final LongAdder measuredMsgs = new LongAdder();
    public final LongAdder measuredBytes = new LongAdder();
    public final LongAdder allMsgs = new LongAdder();
    public volatile boolean measuring;

    /** Round-trip (stream: whole-message) latency in nanoseconds; guarded by latencyLock. */
    private final Histogram latency = new Histogram(3);
    private final ReentrantLock latencyLock = new ReentrantLock();

    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final AtomicInteger problemCount = new AtomicInteger();

    /** Adds {@code n} round-trip latencies (nanoseconds) a flow collected (any thread). */
    public void recordLatencies(long[] nanos, int n) {
        latencyLock.lock();
        try {
            for (int i = 0; i < n; i++) {
                latency.recordValue(nanos[i]);
            }
        } finally {
            latencyLock.unlock();
        }
    }

    /** Forgets the latencies recorded so far. */
    public void resetLatency() {
        latencyLock.lock();
        try {
            latency.reset();
        } finally {
            latencyLock.unlock();
        }
    }

    /** A copy of the latencies recorded so far. */
    public Histogram latency() {
        latencyLock.lock();
        try {
            return latency.copy();
        } finally {
            latencyLock.unlock();
        }
    }

    /** Notes a problem (the first {@value #MAX_PROBLEMS} are kept word for word). */
    public void problem(String text) {
        if (problemCount.incrementAndGet() <= MAX_PROBLEMS) {
            problems.add(text);
        }
    }

    /** The problems noted, with a count of the ones left out. */
    public List<String> problems() {
        List<String> out = new ArrayList<>(problems);
        int more = problemCount.get() - out.size();
        if (more > 0) {
            out.add("... and " + more + " more");
        }
        return out;
    }

    /** Errors so far, for the progress line. */
    public long errors() {
        return lost.sum() + duplicated.sum() + corrupted.sum() + connectionErrors.sum();
    }
}
