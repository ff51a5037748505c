package dev.tofu;

import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.Owner;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A tofu message: a binary header (channel, opcode, origin, more, status, message id), text headers
 * and a body (PROTOCOL.md §1).
 *
 * <p><b>A reference is valid for one lease.</b> A {@code Message} is the application's handle on
 * pooled storage for one lease: from the call that handed it over ({@link Ampe#get},
 * {@link ChannelGroup#waitReceive}, {@link Client#newMessage()}, {@link Client#call}, a
 * {@link Server} handler's argument, or {@code new Message()}) until the application hands it on with
 * {@link ChannelGroup#post}, {@link ChannelGroup#updateReceiver}, {@link Ampe#put}, {@link #close()},
 * or a {@link Client} or {@link Server} method that consumes it. After that the reference is dead for
 * ever: every method on it, and on the {@link Body} and {@link TextHeaders} taken from it, throws
 * {@link IllegalStateException}, except {@link #close()}, {@link Ampe#put} and {@link #isLive()},
 * which do nothing (and answer {@code false}). {@link #toString()} says "released". The storage goes
 * back to the pool and out again, but every later lease of it is a new {@code Message} object, never
 * reached through an old one: this is the Java form of tofu's {@code post(&msg)} nulling the caller's
 * pointer. So both of these are always safe:
 *
 * <pre>{@code
 * try (Message m = ampe.get(AllocationStrategy.ALWAYS)) {  // close() puts it back unless posted
 *     m.opCode(OpCode.REQUEST).channel(peer);
 *     group.post(m);                                        // m is dead from here on
 * }
 * try (Message req = client.newMessage()) {
 *     req.body().append(payload);
 *     resp = client.call(req, timeout);                     // req is dead; resp is a new lease
 * }
 * }</pre>
 *
 * <p>A {@code post} that throws leaves the message with the caller, still live. A message received
 * with {@code waitReceive} may be reused for a reply: posting it again ends that lease too.
 *
 * <p><b>Threads.</b> A message is not thread-safe: the party that holds the lease uses it. Hand-over
 * through {@code post}, {@code waitReceive}, {@code get} and {@code put} publishes it safely. Ending a
 * lease is atomic, so of several threads racing to hand over or close one reference exactly one
 * does it and the others do nothing (or get {@link IllegalStateException} from {@code post}).
 */
public final class Message implements AutoCloseable {
    private static final VarHandle STORE;

    static {
        try {
            STORE = MethodHandles.lookup().findVarHandle(Message.class, "store", MessageStore.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        MessageAccess.install(new Access());
    }

    /** The storage of this lease; {@code null} once the lease ended (set once, then never again). */
    @SuppressWarnings("unused") // accessed through STORE as well
    private MessageStore store;

    /**
     * Creates an empty message owned by the application (opcode Request, channel 0, id 0, no
     * headers, no body). Such a message may be given to a pool with {@link Ampe#put}; that is how an
     * application grows the pool.
     */
    public Message() {
        this(new MessageStore(Owner.APPLICATION));
    }

    private Message(MessageStore store) {
        this.store = store;
    }

    /**
     * Returns whether this reference is still live (its lease has not ended). Never throws.
     *
     * @return {@code false} once the message was posted, put, closed or otherwise handed on
     */
    public boolean isLive() {
        return STORE.getAcquire(this) != null;
    }

    /**
     * Returns the opcode.
     *
     * @return the opcode
     * @throws IllegalStateException if this reference's lease has ended
     */
    public OpCode opCode() {
        return live().opCode();
    }

    /**
     * Sets the opcode.
     *
     * @param opCode the opcode
     * @return this message
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Message opCode(OpCode opCode) {
        Objects.requireNonNull(opCode, "opCode");
        live().setOpCodeRaw(opCode.code());
        return this;
    }

    /**
     * Returns the local channel number, 0..65535 (0 = not assigned yet).
     *
     * @return the channel number
     * @throws IllegalStateException if this reference's lease has ended
     */
    public int channel() {
        return live().channel();
    }

    /**
     * Sets the channel number.
     *
     * @param channel 0..65535
     * @return this message
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException    if this reference's lease has ended
     */
    public Message channel(int channel) {
        if (channel < 0 || channel > 0xFFFF) {
            throw new IllegalArgumentException("channel " + channel + " outside 0..65535");
        }
        live().setChannel(channel);
        return this;
    }

    /**
     * Returns the message id (an unsigned 64-bit value on the wire; 0 = assign one at post).
     *
     * @return the message id
     * @throws IllegalStateException if this reference's lease has ended
     */
    public long messageId() {
        return live().messageId();
    }

    /**
     * Sets the message id; 0 asks {@code post} to assign the next process-wide id.
     *
     * @param messageId the message id, or 0
     * @return this message
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Message messageId(long messageId) {
        live().setMessageId(messageId);
        return this;
    }

    /**
     * Returns whether more messages with the same id follow.
     *
     * @return the more flag
     * @throws IllegalStateException if this reference's lease has ended
     */
    public boolean more() {
        return live().more();
    }

    /**
     * Same as {@link #more()}.
     *
     * @return the more flag
     * @throws IllegalStateException if this reference's lease has ended
     */
    public boolean hasMore() {
        return live().more();
    }

    /**
     * Sets the more flag (allowed only on Request, Response and Signal at post).
     *
     * @param more whether more messages with the same id follow
     * @return this message
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Message more(boolean more) {
        live().setMore(more);
        return this;
    }

    /**
     * Returns the status.
     *
     * @return the status
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Status status() {
        return live().status();
    }

    /**
     * Sets the status. {@code post} resets it to {@link Status#SUCCESS}: applications cannot send a
     * status to the peer.
     *
     * @param status the status
     * @return this message
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Message status(Status status) {
        Objects.requireNonNull(status, "status");
        live().setStatusRaw(status.code());
        return this;
    }

    /**
     * Returns who produced the message.
     *
     * @return {@link Origin#ENGINE} or {@link Origin#APPLICATION}
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Origin origin() {
        return live().isFromEngine() ? Origin.ENGINE : Origin.APPLICATION;
    }

    /**
     * Sets the origin. {@code post} resets it to {@link Origin#APPLICATION}.
     *
     * @param origin the origin
     * @return this message
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Message origin(Origin origin) {
        Objects.requireNonNull(origin, "origin");
        live().setFromEngine(origin == Origin.ENGINE);
        return this;
    }

    /**
     * Returns whether the engine produced this message (a notice or a returned message).
     *
     * @return {@code true} if the origin is {@link Origin#ENGINE}
     * @throws IllegalStateException if this reference's lease has ended
     */
    public boolean isFromEngine() {
        return live().isFromEngine();
    }

    /**
     * Returns the text headers of this lease. The returned object is bound to this reference: once
     * the lease ends, every call on it throws {@link IllegalStateException} too.
     *
     * @return the message's text headers
     * @throws IllegalStateException if this reference's lease has ended
     */
    public TextHeaders headers() {
        live();
        return new TextHeaders(this);
    }

    /**
     * Returns the body of this lease. The returned object is bound to this reference: once the lease
     * ends, every call on it throws {@link IllegalStateException} too.
     *
     * @return the message's body
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Body body() {
        live();
        return new Body(this);
    }

    /**
     * Returns an immutable snapshot of the binary header.
     *
     * @return a new snapshot of the binary header
     * @throws IllegalStateException if this reference's lease has ended
     */
    public BinaryHeader header() {
        MessageStore s = live();
        return new BinaryHeader(s.channel(), s.opCode(), s.isFromEngine() ? Origin.ENGINE : Origin.APPLICATION,
                s.more(), s.status(), s.messageId());
    }

    /**
     * Clears the binary header (opcode Request, channel 0, id 0, flags clear, status success), the
     * text headers and the body, keeping the storage.
     *
     * @return this message
     * @throws IllegalStateException if this reference's lease has ended
     */
    public Message reset() {
        live().clear();
        return this;
    }

    /**
     * Ends this lease and returns the storage to its pool; does nothing if the lease has already
     * ended (the message was posted, put, closed or otherwise handed on). A message that belongs to
     * no pool (created with {@code new Message()} and never put) is left to the garbage collector.
     */
    @Override
    public void close() {
        MessageStore s = (MessageStore) STORE.getAndSet(this, (MessageStore) null);
        if (s == null) {
            return;
        }
        MessagePool pool = s.home();
        if (pool != null) {
            pool.put(s);
        } else {
            s.casOwner(Owner.APPLICATION, Owner.POOL); // dropped: nobody may use it any more
        }
    }

    /** Describes the header and sizes of a live message, or says "released". */
    @Override
    public String toString() {
        MessageStore s = (MessageStore) STORE.getAcquire(this);
        return s == null ? "Message[released]" : "Message[" + s.describe() + "]";
    }

    /** The store of this lease, for this package's views; throws once the lease has ended. */
    MessageStore live() {
        MessageStore s = (MessageStore) STORE.getAcquire(this);
        if (s == null) {
            throw released();
        }
        return s;
    }

    private static IllegalStateException released() {
        return new IllegalStateException("this Message reference is no longer valid: it was posted, put, closed or "
                + "handed on, and a reference is valid for one lease only (see Message)");
    }

    /** The engine's privileged access; see {@link MessageAccess}. */
    private static final class Access extends MessageAccess {
        @Override
        public Message lease(MessageStore store) {
            store.setOwner(Owner.APPLICATION);
            return new Message(store);
        }

        @Override
        public MessageStore release(Message handle) {
            return (MessageStore) STORE.getAndSet(handle, (MessageStore) null);
        }

        @Override
        public void restore(Message handle, MessageStore store) {
            store.setOwner(Owner.APPLICATION);
            STORE.setRelease(handle, store);
        }

        @Override
        public MessageStore store(Message handle) {
            return handle.live();
        }

        @Override
        public Message view(MessageStore store) {
            return new Message(store);
        }
    }
}
