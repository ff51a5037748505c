package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TextHeader;

/**
 * Recipe R15, the connector pattern: keep a template HelloRequest that is never posted, post a
 * copy per attempt (headers and body copied by hand), and classify replies by channel and status.
 */
public final class Connector {
    /** What a received message means for the connection attempt in progress. */
    public enum Outcome {
        /** HelloResponse from the server on the current attempt's channel. */
        CONNECTED,
        /** The engine reports the current attempt failed (status says why). */
        FAILED,
        /** The current attempt's channel closed: time for the next attempt. */
        CLOSED,
        /** Not about the current attempt. */
        OTHER
    }

    private final Ampe ampe;
    private final ChannelGroup group;
    private final Message template;
    private int channel;
    private int attempts;

    /** A connector for {@code server}; the template stays owned by the connector. */
    public Connector(Ampe ampe, ChannelGroup group, Address server) {
        this.ampe = ampe;
        this.group = group;
        this.template = new Message();
        server.format(template);
        template.headers().append("client", "connector-recipe");
    }

    /** Posts a copy of the template; returns the new attempt's channel. */
    public int attempt() {
        Message copy = ampe.get(AllocationStrategy.ALWAYS);
        copy.opCode(template.opCode()).messageId(template.messageId());
        for (TextHeader h : template.headers()) {
            copy.headers().append(h.name(), h.value());
        }
        copy.body().append(template.body().toByteArray());
        channel = group.post(copy).channel();
        attempts++;
        return channel;
    }

    /** Classifies {@code m} against the current attempt (does not take ownership). */
    public Outcome classify(Message m) {
        if (m.channel() != channel) {
            return Outcome.OTHER;
        }
        if (m.isFromEngine()) {
            if (m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED) {
                return Outcome.CLOSED;
            }
            return m.status() == Status.SUCCESS ? Outcome.OTHER : Outcome.FAILED;
        }
        return m.opCode() == OpCode.HELLO_RESPONSE ? Outcome.CONNECTED : Outcome.OTHER;
    }

    /** The template (for inspection; it is never posted). */
    public Message template() {
        return template;
    }

    /** The current attempt's channel. */
    public int channel() {
        return channel;
    }

    /** Attempts made so far. */
    public int attempts() {
        return attempts;
    }
}
