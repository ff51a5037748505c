package dev.tofu;

import dev.tofu.internal.message.ByteBuf;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A tofu message: a binary header (channel, opcode, origin, more, status, message id), text headers
 * and a body (PROTOCOL.md §1).
 *
 * <p><b>Ownership.</b> A message is owned by exactly one of the application, the engine or a pool.
 * {@link Ampe#get} and {@link ChannelGroup#waitReceive} hand it to the application;
 * {@link ChannelGroup#post} and {@link ChannelGroup#updateReceiver} hand it to the engine;
 * {@link Ampe#put} and {@link #close()} hand it to its pool. While the application does not own it,
 * every setter, {@link #headers()} change, {@link #body()} change and {@link #reset()} throws
 * {@link IllegalStateException}; getters still answer but may show the engine's changes.
 * {@link #close()} on a message the application no longer owns does nothing, so
 * {@code try (Message m = ampe.get(ALWAYS)) { ...; group.post(m); }} is always safe.
 *
 * <p><b>Threads.</b> A message is not thread-safe: the party that owns it uses it. Hand-over
 * through {@code post}, {@code waitReceive}, {@code get} and {@code put} publishes it safely.
 */
public final class Message implements AutoCloseable {
    private static final VarHandle OWNER;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(Message.class, "owner", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        MessageAccess.install(new Access());
    }

    // Guarded by ownership: only the current owner reads or writes the fields below `owner`.
    @SuppressWarnings("unused") // accessed through OWNER
    private volatile int owner = Owner.APPLICATION;
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
    private final TextHeaders headers = new TextHeaders(this, headerBytes);
    private final Body body = new Body(this, bodyBytes);

    /**
     * Creates an empty message owned by the application (opcode Request, channel 0, id 0, no
     * headers, no body). Such a message may be given to a pool with {@link Ampe#put}; that is how an
     * application grows the pool.
     */
    public Message() {
    }

    /**
     * Returns the opcode.
     *
     * @return the opcode
     */
    public OpCode opCode() {
        return OpCode.of(opCode);
    }

    /**
     * Sets the opcode.
     *
     * @param opCode the opcode
     * @return this message
     * @throws IllegalStateException if the application does not own the message
     */
    public Message opCode(OpCode opCode) {
        Objects.requireNonNull(opCode, "opCode");
        checkWritable();
        this.opCode = opCode.code();
        return this;
    }

    /**
     * Returns the local channel number, 0..65535 (0 = not assigned yet).
     *
     * @return the channel number
     */
    public int channel() {
        return channel;
    }

    /**
     * Sets the channel number.
     *
     * @param channel 0..65535
     * @return this message
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException    if the application does not own the message
     */
    public Message channel(int channel) {
        if (channel < 0 || channel > 0xFFFF) {
            throw new IllegalArgumentException("channel " + channel + " outside 0..65535");
        }
        checkWritable();
        this.channel = channel;
        return this;
    }

    /**
     * Returns the message id (an unsigned 64-bit value on the wire; 0 = assign one at post).
     *
     * @return the message id
     */
    public long messageId() {
        return messageId;
    }

    /**
     * Sets the message id; 0 asks {@code post} to assign the next process-wide id.
     *
     * @param messageId the message id, or 0
     * @return this message
     * @throws IllegalStateException if the application does not own the message
     */
    public Message messageId(long messageId) {
        checkWritable();
        this.messageId = messageId;
        return this;
    }

    /**
     * Returns whether more messages with the same id follow.
     *
     * @return the more flag
     */
    public boolean more() {
        return more;
    }

    /**
     * Same as {@link #more()}.
     *
     * @return the more flag
     */
    public boolean hasMore() {
        return more;
    }

    /**
     * Sets the more flag (allowed only on Request, Response and Signal at post).
     *
     * @param more whether more messages with the same id follow
     * @return this message
     * @throws IllegalStateException if the application does not own the message
     */
    public Message more(boolean more) {
        checkWritable();
        this.more = more;
        return this;
    }

    /**
     * Returns the status.
     *
     * @return the status
     */
    public Status status() {
        return Status.of(status);
    }

    /**
     * Sets the status. {@code post} resets it to {@link Status#SUCCESS}: applications cannot send a
     * status to the peer.
     *
     * @param status the status
     * @return this message
     * @throws IllegalStateException if the application does not own the message
     */
    public Message status(Status status) {
        Objects.requireNonNull(status, "status");
        checkWritable();
        this.status = status.code();
        return this;
    }

    /**
     * Returns who produced the message.
     *
     * @return {@link Origin#ENGINE} or {@link Origin#APPLICATION}
     */
    public Origin origin() {
        return fromEngine ? Origin.ENGINE : Origin.APPLICATION;
    }

    /**
     * Sets the origin. {@code post} resets it to {@link Origin#APPLICATION}.
     *
     * @param origin the origin
     * @return this message
     * @throws IllegalStateException if the application does not own the message
     */
    public Message origin(Origin origin) {
        Objects.requireNonNull(origin, "origin");
        checkWritable();
        this.fromEngine = origin == Origin.ENGINE;
        return this;
    }

    /**
     * Returns whether the engine produced this message (a notice or a returned message).
     *
     * @return {@code true} if the origin is {@link Origin#ENGINE}
     */
    public boolean isFromEngine() {
        return fromEngine;
    }

    /**
     * Returns the text headers (changes need application ownership).
     *
     * @return the message's text headers
     */
    public TextHeaders headers() {
        return headers;
    }

    /**
     * Returns the body (changes need application ownership).
     *
     * @return the message's body
     */
    public Body body() {
        return body;
    }

    /**
     * Returns an immutable snapshot of the binary header.
     *
     * @return a new snapshot of the binary header
     */
    public BinaryHeader header() {
        return new BinaryHeader(channel, OpCode.of(opCode), origin(), more, Status.of(status), messageId);
    }

    /**
     * Clears the binary header (opcode Request, channel 0, id 0, flags clear, status success), the
     * text headers and the body, keeping the storage.
     *
     * @return this message
     * @throws IllegalStateException if the application does not own the message
     */
    public Message reset() {
        checkWritable();
        clearAll();
        return this;
    }

    /**
     * Returns the message to its pool if the application owns it; does nothing if the engine or a
     * pool owns it. A message that belongs to no pool (created with {@code new Message()} and never
     * put) is only cleared.
     */
    @Override
    public void close() {
        MessagePool pool = home;
        if (pool != null) {
            pool.put(this);
        } else if (OWNER.compareAndSet(this, Owner.APPLICATION, Owner.APPLICATION)) {
            clearAll();
        }
    }

    @Override
    public String toString() {
        return "Message[" + (opCode < 10 ? OpCode.of(opCode).name() : "op#" + opCode)
                + " ch=" + channel + " id=" + Long.toUnsignedString(messageId)
                + (more ? " more" : "") + (fromEngine ? " engine" : "")
                + (status != 0 ? " " + Status.of(status) : "")
                + " headers=" + headerBytes.length() + "B body=" + bodyBytes.length() + "B"
                + " owner=" + Owner.name((int) OWNER.getVolatile(this)) + "]";
    }

    void checkWritable() {
        int o = (int) OWNER.getAcquire(this);
        if (o != Owner.APPLICATION) {
            throw new IllegalStateException("message is owned by the " + Owner.name(o)
                    + ", not the application: it was posted or put and may not be used any more");
        }
    }

    private void clearAll() {
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

    /** The engine's privileged access; see {@link MessageAccess}. */
    private static final class Access extends MessageAccess {
        @Override
        public int owner(Message m) {
            return (int) OWNER.getVolatile(m);
        }

        @Override
        public boolean casOwner(Message m, int expected, int next) {
            return OWNER.compareAndSet(m, expected, next);
        }

        @Override
        public void setOwner(Message m, int owner) {
            OWNER.setVolatile(m, owner);
        }

        @Override
        public MessagePool home(Message m) {
            return m.home;
        }

        @Override
        public void setHome(Message m, MessagePool pool) {
            m.home = pool;
        }

        @Override
        public int opCodeRaw(Message m) {
            return m.opCode;
        }

        @Override
        public void setOpCodeRaw(Message m, int opCode) {
            m.opCode = opCode & 0x0F;
        }

        @Override
        public int statusRaw(Message m) {
            return m.status;
        }

        @Override
        public void setStatusRaw(Message m, int status) {
            m.status = status & 0xFF;
        }

        @Override
        public void setChannel(Message m, int channel) {
            m.channel = channel & 0xFFFF;
        }

        @Override
        public void setMessageId(Message m, long id) {
            m.messageId = id;
        }

        @Override
        public void setFromEngine(Message m, boolean fromEngine) {
            m.fromEngine = fromEngine;
        }

        @Override
        public void setMore(Message m, boolean more) {
            m.more = more;
        }

        @Override
        public ByteBuf headers(Message m) {
            return m.headerBytes;
        }

        @Override
        public ByteBuf body(Message m) {
            return m.bodyBytes;
        }

        @Override
        public void clear(Message m) {
            m.clearAll();
        }

        @Override
        public int tag(Message m) {
            return m.engineTag;
        }

        @Override
        public void setTag(Message m, int tag) {
            m.engineTag = tag;
        }
    }
}
