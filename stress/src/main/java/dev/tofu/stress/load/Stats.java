package dev.tofu.stress.load;

import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one measurement, shared by its driver threads (every field is thread-safe).
 * Everything is counted from start to end (accounting); rates and latency only while
 * {@link #measuring} is set.
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
    /** Round-trip (stream: whole-message) latency in nanoseconds. */
    public final Recorder latency = new Recorder(3);
    public volatile boolean measuring;

    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final AtomicInteger problemCount = new AtomicInteger();

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
