package dev.tofu.internal.io;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * JFR: a channel's reader waited, for room in its group's receive queue (the application reads
 * slowly) or for a pooled message to read into (the pool is empty). Both waits start with
 * {@link #start()} and end with {@link #finish}, the one place the event is filled and committed.
 *
 * <p>Threads: the channel's reader, which owns the event from start to finish. An event not
 * enabled in the recording costs a field check.
 */
@Name("dev.tofu.BackPressureWait")
@Label("Back-pressure Wait")
@Category("tofu")
@Description("A channel's reader waited for room in its group's receive queue or for a pooled message")
@Threshold("0 ms")
@StackTrace(false)
public final class BackPressureEvent extends Event {
    /** {@link #finish} cause: the group's receive queue was full. */
    public static final String GROUP_QUEUE = "group queue";
    /** {@link #finish} cause: the pool had no message to read into. */
    public static final String POOLED_MESSAGE = "pooled message";

    @Label("Channel")
    int channel;
    @Label("Waited For")
    String cause;
    @Label("Wait")
    @Timespan(Timespan.NANOSECONDS)
    long waitedNanos;

    private transient long startNanos;

    /** Use {@link #start()}; public because JFR registers an event class on its first instance. */
    public BackPressureEvent() {
    }

    /** Begins timing a wait that is about to start. */
    public static BackPressureEvent start() {
        BackPressureEvent e = new BackPressureEvent();
        e.startNanos = System.nanoTime();
        e.begin();
        return e;
    }

    /** Ends the wait begun by {@link #start()} and commits it if the recording wants it. */
    public void finish(int channel, String cause) {
        end();
        if (shouldCommit()) {
            this.channel = channel;
            this.cause = cause;
            this.waitedNanos = System.nanoTime() - startNanos;
            commit();
        }
    }
}
