package dev.tofu;

import dev.tofu.internal.message.ByteBuf;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The body of a {@link Message}: opaque bytes.
 *
 * <p>Any size is accepted while building; {@link ChannelGroup#post(Message)} rejects bodies over
 * 65535 bytes (split larger data into several messages linked by {@code more}). The storage is kept
 * when the message returns to the pool, so reuse allocates nothing.
 *
 * <p>Ownership: a body is bound to the {@link Message} reference it came from; once that lease has
 * ended (the message was posted, put or closed), every call throws {@link IllegalStateException}.
 * Not thread-safe, like the message it belongs to.
 */
public final class Body {
    private final Message message;

    Body(Message message) {
        this.message = message;
    }

    /** The bytes of the message's live lease; throws once the lease has ended. */
    private ByteBuf bytes() {
        return message.live().body();
    }

    /**
     * Appends all of {@code src}.
     *
     * @param src the bytes to append
     * @return this body, for chaining
     * @throws IllegalStateException if the message's lease has ended
     */
    public Body append(byte[] src) {
        return append(src, 0, src.length);
    }

    /**
     * Appends {@code len} bytes of {@code src} starting at {@code off}.
     *
     * @param src the array holding the bytes
     * @param off the index of the first byte to append
     * @param len the number of bytes to append
     * @return this body, for chaining
     * @throws IndexOutOfBoundsException if the range is outside {@code src}
     * @throws IllegalStateException     if the message's lease has ended
     */
    public Body append(byte[] src, int off, int len) {
        Objects.requireNonNull(src, "src");
        bytes().append(src, off, len);
        return this;
    }

    /**
     * Appends the remaining bytes of {@code src} and advances its position to its limit.
     *
     * @param src the buffer to read from
     * @return this body, for chaining
     * @throws IllegalStateException if the message's lease has ended
     */
    public Body append(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        bytes().append(src);
        return this;
    }

    /**
     * Empties the body, keeping its storage.
     *
     * @throws IllegalStateException if the message's lease has ended
     */
    public void clear() {
        bytes().clear();
    }

    /**
     * Returns the body's length in bytes.
     *
     * @return the length in bytes
     * @throws IllegalStateException if the message's lease has ended
     */
    public int length() {
        return bytes().length();
    }

    /**
     * Returns a copy of the body's bytes.
     *
     * @return a new array holding the body's bytes
     * @throws IllegalStateException if the message's lease has ended
     */
    public byte[] toByteArray() {
        return bytes().toByteArray();
    }

    /**
     * Copies the body's bytes into {@code dst} from index {@code dstOff} on, without allocating
     * (where {@link #toByteArray()} makes a new array and {@link #asReadOnlyBuffer()} two buffer
     * objects).
     *
     * @param dst    the array to copy into
     * @param dstOff the index in {@code dst} of the body's first byte
     * @return the number of bytes copied: {@link #length()}
     * @throws IndexOutOfBoundsException if {@code dst} has fewer than {@link #length()} bytes
     *                                   from {@code dstOff} on (nothing is copied then)
     * @throws IllegalStateException     if the message's lease has ended
     */
    public int copyTo(byte[] dst, int dstOff) {
        Objects.requireNonNull(dst, "dst");
        ByteBuf b = bytes();
        int n = b.length();
        Objects.checkFromIndexSize(dstOff, n, dst.length);
        System.arraycopy(b.array(), 0, dst, dstOff, n);
        return n;
    }

    /**
     * Copies the body's bytes into {@code dst} at its position and advances the position by
     * {@link #length()}, without allocating.
     *
     * @param dst the buffer to copy into
     * @return the number of bytes copied: {@link #length()}
     * @throws java.nio.BufferOverflowException if {@code dst} has fewer than {@link #length()}
     *                                          bytes remaining (nothing is copied then)
     * @throws java.nio.ReadOnlyBufferException if {@code dst} is read-only
     * @throws IllegalStateException            if the message's lease has ended
     */
    public int copyTo(ByteBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        ByteBuf b = bytes();
        int n = b.length();
        dst.put(b.array(), 0, n);
        return n;
    }

    /**
     * Returns a read-only view of the body whose {@code remaining()} equals {@link #length()}. The
     * view shares the message's storage: it is valid only while the lease lasts (a view kept after the
     * message was posted or put shows whatever the storage holds later).
     *
     * @return a read-only buffer over the body's bytes
     * @throws IllegalStateException if the message's lease has ended
     */
    public ByteBuffer asReadOnlyBuffer() {
        ByteBuf b = bytes();
        return ByteBuffer.wrap(b.array(), 0, b.length()).asReadOnlyBuffer();
    }

    @Override
    public String toString() {
        return message.isLive() ? "Body[" + bytes().length() + " bytes]" : "Body[released]";
    }
}
