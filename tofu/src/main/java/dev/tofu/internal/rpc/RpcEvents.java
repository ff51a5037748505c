package dev.tofu.internal.rpc;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * The request/response layer's JFR events, next to the engine's under "tofu" in JDK Mission Control.
 * Each event's duration is the call's (client) or the handled request's (server). There is one per
 * call, so like the JDK's {@code jdk.SocketRead} they have a default threshold of 20 ms: a plain
 * recording shows the slow ones; set the threshold to 0 ms to see every call. An event not enabled
 * in a recording costs a field check.
 */
final class RpcEvents {
    private RpcEvents() {
    }

    /** One {@link dev.tofu.Client} call, from sending the request to its outcome. */
    @Name("dev.tofu.RpcCall")
    @Label("RPC Call")
    @Category({"tofu", "Request/Response"})
    @Description("A Client call: from sending the request to the last response part or the failure")
    @StackTrace(false)
    @Threshold("20 ms")
    static final class Call extends Event {
        @Label("Channel")
        int channel;
        @Label("Message Id")
        long messageId;
        @Label("Outcome")
        @Description("SUCCESS, or the simple name of the exception the caller got")
        String outcome;
    }

    /** One request handled by a {@link dev.tofu.Server}, from the handler's start to the response. */
    @Name("dev.tofu.RpcRequest")
    @Label("RPC Request Handled")
    @Category({"tofu", "Request/Response"})
    @Description("A Server handler run: from its start to the post of its response or its failure")
    @StackTrace(false)
    @Threshold("20 ms")
    static final class Handled extends Event {
        @Label("Channel")
        int channel;
        @Label("Message Id")
        long messageId;
        @Label("Outcome")
        @Description("SUCCESS, or the simple name of what the handler threw or the post failed with")
        String outcome;
    }
}
