package dev.tofu.internal.engine;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * The engine's JFR events, visible in JDK Mission Control under "tofu" with no extra dependency.
 * Committed from channel threads; an event not enabled in the recording costs a field check.
 */
final class ChannelEvents {
    private ChannelEvents() {
    }

    /** A channel opened: a listener bound, a client connected, or a connection was accepted. */
    @Name("dev.tofu.ChannelOpened")
    @Label("Channel Opened")
    @Category("tofu")
    @Description("A tofu channel opened")
    @StackTrace(false)
    static final class Opened extends Event {
        @Label("Channel")
        int channel;
        @Label("Kind")
        String kind;
        @Label("Address")
        String address;
    }

    /** A channel closed, with its reason. */
    @Name("dev.tofu.ChannelClosed")
    @Label("Channel Closed")
    @Category("tofu")
    @Description("A tofu channel closed")
    @StackTrace(false)
    static final class Closed extends Event {
        @Label("Channel")
        int channel;
        @Label("Kind")
        String kind;
        @Label("Reason")
        String reason;
        @Label("Silent")
        boolean silent;
        @Label("Returned Messages")
        int returned;
    }

    /** A reader waited: for room in the group queue (the application is slow) or for a pooled message. */
    @Name("dev.tofu.BackPressureWait")
    @Label("Back-pressure Wait")
    @Category("tofu")
    @Description("A channel's reader waited for room in its group's receive queue or for a pooled message")
    @Threshold("0 ms")
    @StackTrace(false)
    static final class BackPressure extends Event {
        @Label("Channel")
        int channel;
        @Label("Waited For")
        String cause;
        @Label("Wait")
        @Timespan(Timespan.NANOSECONDS)
        long waitedNanos;
    }
}
