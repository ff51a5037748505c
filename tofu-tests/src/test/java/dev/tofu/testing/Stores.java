package dev.tofu.testing;

import dev.tofu.Message;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessageStore;

/**
 * Bridges between the public {@link Message} handle and the engine's {@link MessageStore} for tests
 * of internal classes (the pool, the queues, the codec), which work on stores.
 */
public final class Stores {
    private static final MessageAccess ACCESS = MessageAccess.get();

    private Stores() {
    }

    /**
     * A throw-away handle on {@code s} for building or reading it with the public API; the store's
     * owner is left as it is.
     */
    public static Message v(MessageStore s) {
        return ACCESS.view(s);
    }

    /** Ends the lease of a message built with the public API and returns its store (as post does first). */
    public static MessageStore store(Message m) {
        MessageStore s = ACCESS.release(m);
        if (s == null) {
            throw new IllegalStateException("the message's lease had already ended");
        }
        return s;
    }
}
