package dev.tofu.internal.message;

import dev.tofu.OpCode;
import dev.tofu.Status;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The storage of one message: the binary header fields, the text-header section and the body,
 * with the byte buffers kept across reuse. This is what the pool keeps, the outbound queues and the
 * group queues hold, and the codec reads into and writes from.
 *
 * <p>The application never sees a store: it holds a {@link dev.tofu.Message}, a handle valid for
 * one lease of a store (see {@link MessageAccess#lease}). A store goes back to the pool and out again
 * many times; each lease gets a new handle, so a reference kept from an earlier lease can never
 * reach the store's next holder.
 *
 * <p>Invariants: {@code owner} names the one party that holds the store ({@link Owner}); it moves by
 * compare-and-set, so racing hand-overs leave it with exactly one. Every other field is touched only
 * by that party (a store is not thread-safe), and every hand-over (a queue, a pool stripe's lock, a
 * lease's handle) publishes the fields safely.
 */
public final class MessageStore {
    private static final VarHandle OWNER;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(MessageStore.class, "owner", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through OWNER
    private volatile int owner;
    private MessagePool home;
    private int engineTag;   // engine bookkeeping (for example "counts against the receive bound")

    private int channel;
    private int opCode;      // raw 0..15
    private boolean fromEngine;
    private boolean more;
    private int status;      // raw 0..255
    private long messageId;

    private final ByteBuf headerBytes = new ByteBuf();
    private final ByteBuf bodyBytes = new ByteBuf();

    /** Creates an empty store owned by {@code owner} and belonging to no pool. */
    public MessageStore(int owner) {
        this.owner = owner;
    }

    /** Returns the current owner ({@link Owner}). */
    public int owner() {
        return (int) OWNER.getVolatile(this);
    }

    /** Atomically moves ownership from {@code expected} to {@code next}; false if not owned by {@code expected}. */
    public boolean casOwner(int expected, int next) {
        return OWNER.compareAndSet(this, expected, next);
    }

    /** Sets the owner unconditionally (for the party that holds the store). */
    public void setOwner(int next) {
        OWNER.setVolatile(this, next);
    }

    /** Returns the pool the store returns to when its holder is done with it, or {@code null}. */
    public MessagePool home() {
        return home;
    }

    /** Sets the pool the store returns to. */
    public void setHome(MessagePool pool) {
        home = pool;
    }

    /** Returns the channel number, 0..65535. */
    public int channel() {
        return channel;
    }

    /** Sets the channel number (masked to 16 bits). */
    public void setChannel(int channel) {
        this.channel = channel & 0xFFFF;
    }

    /** Returns the opcode. */
    public OpCode opCode() {
        return OpCode.of(opCode);
    }

    /** Returns the raw opcode, 0..15. */
    public int opCodeRaw() {
        return opCode;
    }

    /** Sets the raw opcode (masked to 0..15). */
    public void setOpCodeRaw(int opCode) {
        this.opCode = opCode & 0x0F;
    }

    /** Returns the status. */
    public Status status() {
        return Status.of(status);
    }

    /** Returns the raw status byte, 0..255. */
    public int statusRaw() {
        return status;
    }

    /** Sets the raw status byte (masked to 0..255). */
    public void setStatusRaw(int status) {
        this.status = status & 0xFF;
    }

    /** Returns the message id. */
    public long messageId() {
        return messageId;
    }

    /** Sets the message id. */
    public void setMessageId(long id) {
        this.messageId = id;
    }

    /** Returns whether the engine produced the message. */
    public boolean isFromEngine() {
        return fromEngine;
    }

    /** Sets the origin flag. */
    public void setFromEngine(boolean fromEngine) {
        this.fromEngine = fromEngine;
    }

    /** Returns the more flag. */
    public boolean more() {
        return more;
    }

    /** Sets the more flag. */
    public void setMore(boolean more) {
        this.more = more;
    }

    /** Returns the text-header section in wire form. */
    public ByteBuf headers() {
        return headerBytes;
    }

    /** Returns the body. */
    public ByteBuf body() {
        return bodyBytes;
    }

    /** Returns the engine's bookkeeping tag (0 unless the engine set one; cleared with the store). */
    public int tag() {
        return engineTag;
    }

    /** Sets the engine's bookkeeping tag. */
    public void setTag(int tag) {
        this.engineTag = tag;
    }

    /** Clears the binary header, the text headers and the body, keeping the buffers. */
    public void clear() {
        channel = 0;
        opCode = 0;
        fromEngine = false;
        more = false;
        status = 0;
        messageId = 0;
        engineTag = 0;
        headerBytes.clear();
        bodyBytes.clear();
    }

    /** A short description of the header and sizes (no owner: for the handle's toString). */
    public String describe() {
        return (opCode < 10 ? OpCode.of(opCode).name() : "op#" + opCode)
                + " ch=" + channel + " id=" + Long.toUnsignedString(messageId)
                + (more ? " more" : "") + (fromEngine ? " engine" : "")
                + (status != 0 ? " " + Status.of(status) : "")
                + " headers=" + headerBytes.length() + "B body=" + bodyBytes.length() + "B";
    }

    @Override
    public String toString() {
        return "MessageStore[" + describe() + " owner=" + Owner.name(owner()) + "]";
    }
}
