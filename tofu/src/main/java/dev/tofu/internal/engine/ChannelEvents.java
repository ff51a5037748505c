package dev.tofu.internal.engine;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The engine's JFR events about channels opening and closing, visible in JDK Mission Control under
 * "tofu" with no extra dependency (a reader's back-pressure wait is {@code io.BackPressureEvent}).
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
}
