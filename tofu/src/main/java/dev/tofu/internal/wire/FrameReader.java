package dev.tofu.internal.wire;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.ByteBuf;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads frames from a blocking byte channel (PROTOCOL.md §1.7): exactly 16 header bytes, then
 * exactly {@code thl} text-header bytes, then exactly {@code bl} body bytes, across as many reads as
 * the channel needs. Reads through a small buffer so several small frames cost one system call.
 *
 * <p>Never allocates more than a frame's declared lengths (at most 65535 + 65535 bytes, into the
 * message's own buffers). Errors: {@link EOFException} when the stream ends inside a frame,
 * {@link ProtocolViolationException} for a frame §1.8 rejects, and the channel's own
 * {@link IOException}s. Nothing else.
 *
 * <p>Threads: one reader per connection, used only by that connection's reader thread.
 */
public final class FrameReader {
    /** Default size of the read buffer. */
    public static final int DEFAULT_BUFFER = 8 * 1024;


    private final ReadableByteChannel in;
    private final ByteBuffer buffer;          // read mode: unread bytes are [position, limit)
    private final byte[] header = new byte[FrameHeader.SIZE];
    private boolean tracking;                 // set before the first read
    private volatile long frameStartedAt;     // System.nanoTime() of a frame's first byte; 0 between frames

    /** Creates a reader with a {@link #DEFAULT_BUFFER}-byte buffer. */
    public FrameReader(ReadableByteChannel in) {
        this(in, DEFAULT_BUFFER);
    }

    /** Creates a reader with a {@code bufferSize}-byte buffer (at least 16). */
    public FrameReader(ReadableByteChannel in, int bufferSize) {
        this(in, ByteBuffer.allocate(Math.max(FrameHeader.SIZE, bufferSize)));
    }

    /**
     * Creates a reader that reads through {@code buffer} (at least 16 bytes; a direct one saves the
     * JDK's copy through a temporary direct buffer on every read). The reader uses it, from its
     * position on, until the caller stops reading; it must not be used by anyone else meanwhile.
     */
    public FrameReader(ReadableByteChannel in, ByteBuffer buffer) {
        if (buffer.capacity() < FrameHeader.SIZE) {
            throw new IllegalArgumentException("a read buffer of at least " + FrameHeader.SIZE + " bytes, got " + buffer.capacity());
        }
        this.in = in;
        this.buffer = buffer.clear().flip();
    }

    /**
     * Makes this reader note when each frame's first byte arrives (see {@link #frameStartedAt()});
     * call before the first read.
     */
    public void trackFrameStarts() {
        tracking = true;
    }

    /**
     * Returns when the frame being read started to arrive ({@link System#nanoTime()}), or 0 between
     * frames or when not tracking. Safe to call from any thread.
     *
     * @return the start of the frame in progress, or 0
     */
    public long frameStartedAt() {
        return frameStartedAt;
    }

    /**
     * Reads and decodes the next header into {@code h}.
     *
     * @return {@code false} if the stream ended cleanly before the first byte of a frame
     * @throws EOFException if the stream ends inside the header
     */
    public boolean readHeader(FrameHeader h) throws IOException {
        int got = 0;
        while (got < FrameHeader.SIZE) {
            if (!buffer.hasRemaining() && !fill()) {
                if (got == 0) {
                    return false;
                }
                throw new EOFException("stream ended after " + got + " of 16 header bytes");
            }
            if (got == 0 && tracking) {
                frameStartedAt = System.nanoTime();
            }
            int n = Math.min(buffer.remaining(), FrameHeader.SIZE - got);
            buffer.get(header, got, n);
            got += n;
        }
        h.decode(header, 0);
        return true;
    }

    /**
     * Reads the text headers and body that {@code h} announces into {@code m}, and sets {@code m}'s
     * binary header from {@code h}: origin cleared (§1.8), status and more passed through, the wire
     * channel number kept (the engine replaces it with its own).
     *
     * @throws EOFException if the stream ends inside the frame
     */
    public void readSections(FrameHeader h, MessageStore m) throws IOException {
        readFully(m.headers(), h.thl, "text headers");
        readFully(m.body(), h.bl, "body");
        if (tracking) {
            frameStartedAt = 0;
        }
        m.setChannel(h.channel);
        m.setOpCodeRaw(h.opCode());
        m.setMore(h.more());
        m.setStatusRaw(h.status);
        m.setMessageId(h.messageId);
        m.setFromEngine(false);
    }

    /**
     * Reads one whole frame into {@code m} after checking it against §1.8.
     *
     * @return {@code false} if the stream ended cleanly before the frame
     * @throws ProtocolViolationException if the header is not acceptable (nothing after it is read)
     * @throws EOFException               if the stream ends inside the frame
     */
    public boolean readFrame(FrameHeader h, MessageStore m) throws IOException {
        if (!readHeader(h)) {
            return false;
        }
        ReceiveRules.check(h);
        readSections(h, m);
        return true;
    }

    /**
     * Counts the frames lying complete in the buffer, up to {@code max}, after skipping
     * {@code skip} unread bytes (the sections of a frame whose header was just read). Reads no
     * socket; the count says how many frames can be read next without waiting for the peer.
     *
     * @return complete frames buffered, at most {@code max}
     */
    public int completeFramesBuffered(int skip, int max) {
        int at = buffer.position() + skip;
        int limit = buffer.limit();
        int n = 0;
        while (n < max && limit - at >= FrameHeader.SIZE) {
            int sections = u16(at + FrameHeader.OFFSET_THL) + u16(at + FrameHeader.OFFSET_BL);
            at += FrameHeader.SIZE + sections;
            if (at > limit) {
                break;
            }
            n++;
        }
        return n;
    }

    private int u16(int at) {
        return ((buffer.get(at) & 0xFF) << 8) | (buffer.get(at + 1) & 0xFF);
    }

    /** Returns whether unread bytes are already buffered (a next frame may be complete). */
    public boolean hasBuffered() {
        return buffer.hasRemaining();
    }

    private void readFully(ByteBuf dst, int len, String what) throws IOException {
        dst.setLength(len);
        byte[] array = dst.array();
        int got = Math.min(buffer.remaining(), len);
        buffer.get(array, 0, got);
        if (got == len) {
            return;
        }
        if (len - got >= buffer.capacity()) {
            // Large remainder: read straight into the message, skipping the copy.
            ByteBuffer direct = ByteBuffer.wrap(array, got, len - got);
            while (direct.hasRemaining()) {
                if (in.read(direct) < 0) {
                    throw new EOFException("stream ended inside the " + what + " (" + direct.position() + " of " + len + " bytes)");
                }
            }
            return;
        }
        while (got < len) {
            if (!fill()) {
                throw new EOFException("stream ended inside the " + what + " (" + got + " of " + len + " bytes)");
            }
            int n = Math.min(buffer.remaining(), len - got);
            buffer.get(array, got, n);
            got += n;
        }
    }

    /** Refills the empty buffer with at least one byte; false at end of stream. */
    private boolean fill() throws IOException {
        buffer.clear();
        try {
            int n;
            do {
                n = in.read(buffer);
            } while (n == 0);
            return n > 0;
        } finally {
            buffer.flip();
        }
    }
}
