package dev.tofu.internal.message;

import dev.tofu.Message;

/**
 * The engine's privileged view of {@link Message}: raw header fields, the byte buffers and the
 * owner field, without the application-side ownership checks.
 *
 * <p>{@code Message} installs the one implementation from its static initialiser; internal code
 * calls {@link #get()}. Every method may be called from any thread, but only by the party that
 * owns the message at that moment (except {@link #owner} and {@link #casOwner}, which are atomic).
 */
public abstract class MessageAccess {
    private static volatile MessageAccess instance;

    /** Called once by {@code Message}'s static initialiser. */
    public static void install(MessageAccess access) {
        if (instance != null) {
            throw new IllegalStateException("MessageAccess already installed");
        }
        instance = access;
    }

    /** Returns the installed access, initialising {@code Message} if that has not happened yet. */
    public static MessageAccess get() {
        MessageAccess a = instance;
        if (a == null) {
            try {
                Class.forName(Message.class.getName(), true, Message.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = instance;
        }
        return a;
    }

    /** Returns the current owner ({@link Owner}). */
    public abstract int owner(Message m);

    /** Atomically moves ownership from {@code expected} to {@code next}; false if not owned by {@code expected}. */
    public abstract boolean casOwner(Message m, int expected, int next);

    /** Sets the owner unconditionally (for the party that owns the message). */
    public abstract void setOwner(Message m, int owner);

    /** Returns the pool the message returns to on {@code close()}, or {@code null}. */
    public abstract MessagePool home(Message m);

    /** Sets the pool the message returns to on {@code close()}. */
    public abstract void setHome(Message m, MessagePool pool);

    /** Returns the raw opcode, 0..15. */
    public abstract int opCodeRaw(Message m);

    /** Sets the raw opcode, 0..15. */
    public abstract void setOpCodeRaw(Message m, int opCode);

    /** Returns the raw status byte, 0..255. */
    public abstract int statusRaw(Message m);

    /** Sets the raw status byte, 0..255. */
    public abstract void setStatusRaw(Message m, int status);

    /** Sets the channel number. */
    public abstract void setChannel(Message m, int channel);

    /** Sets the message id. */
    public abstract void setMessageId(Message m, long id);

    /** Sets the origin flag. */
    public abstract void setFromEngine(Message m, boolean fromEngine);

    /** Sets the more flag. */
    public abstract void setMore(Message m, boolean more);

    /** Returns the text-header section in wire form. */
    public abstract ByteBuf headers(Message m);

    /** Returns the body. */
    public abstract ByteBuf body(Message m);

    /** Clears header, text headers and body, whoever owns the message. */
    public abstract void clear(Message m);

    /** Returns the engine's bookkeeping tag (0 unless the engine set one; cleared with the message). */
    public abstract int tag(Message m);

    /** Sets the engine's bookkeeping tag. */
    public abstract void setTag(Message m, int tag);
}
