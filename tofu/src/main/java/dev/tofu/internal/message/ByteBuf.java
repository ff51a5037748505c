package dev.tofu.internal.message;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A growable byte array that keeps its capacity across {@link #clear()}, so a pooled message that
 * once carried a large body reuses that storage.
 *
 * <p>Not thread-safe: whoever owns the message owns its buffers (see {@link MessageAccess}).
 */
public final class ByteBuf {
    private static final byte[] EMPTY = new byte[0];
    private static final int MIN_GROWTH = 64;

    private byte[] array = EMPTY;
    private int length;
    private ByteBuffer view; // wraps `array` for channel writes; replaced when the array grows

    /** Returns the backing array; bytes {@code [0, length())} are the content. */
    public byte[] array() {
        return array;
    }

    /** Returns the number of content bytes. */
    public int length() {
        return length;
    }

    /** Returns the capacity of the backing array. */
    public int capacity() {
        return array.length;
    }

    /** Drops the content and the storage (the next append allocates afresh). */
    public void release() {
        length = 0;
        array = EMPTY;
        view = null;
    }

    /** Drops the content and keeps the storage. */
    public void clear() {
        length = 0;
    }

    /**
     * Sets the content length to {@code newLength}, growing the storage if needed; the bytes between
     * the old and new length are whatever the storage held (the caller fills them).
     */
    public void setLength(int newLength) {
        if (newLength < 0) {
            throw new IllegalArgumentException("negative length " + newLength);
        }
        if (newLength > array.length) {
            array = Arrays.copyOf(array, newLength); // exact: a frame never allocates past its declared length
        }
        length = newLength;
    }

    /** Appends {@code len} bytes of {@code src} from {@code off}. */
    public void append(byte[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        int at = length;
        ensureCapacity(Math.addExact(at, len));
        System.arraycopy(src, off, array, at, len);
        length = at + len;
    }

    /** Appends the remaining bytes of {@code src}, advancing its position to its limit. */
    public void append(ByteBuffer src) {
        int len = src.remaining();
        int at = length;
        ensureCapacity(Math.addExact(at, len));
        src.get(array, at, len);
        length = at + len;
    }

    /** Appends one byte. */
    public void append(int b) {
        ensureCapacity(Math.addExact(length, 1));
        array[length++] = (byte) b;
    }

    /**
     * Returns a buffer over the content, positioned at 0 with its limit at {@link #length()}. The
     * same instance comes back until the storage grows, so writing a reused message allocates
     * nothing. Valid until the next change to this buffer.
     */
    public ByteBuffer contentView() {
        ByteBuffer v = view;
        if (v == null || v.array() != array) {
            v = ByteBuffer.wrap(array);
            view = v;
        }
        v.limit(length).position(0);
        return v;
    }

    /** Returns a copy of the content. */
    public byte[] toByteArray() {
        return Arrays.copyOf(array, length);
    }

    /** Replaces the content with a copy of {@code other}'s content. */
    public void copyFrom(ByteBuf other) {
        clear();
        append(other.array, 0, other.length);
    }

    private void ensureCapacity(int needed) {
        if (needed > array.length) {
            int doubled = array.length > (Integer.MAX_VALUE - 8) / 2 ? Integer.MAX_VALUE - 8 : array.length * 2;
            int grown = Math.max(needed, Math.max(MIN_GROWTH, doubled));
            array = Arrays.copyOf(array, grown);
        }
    }
}
