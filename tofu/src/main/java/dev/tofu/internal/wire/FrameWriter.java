package dev.tofu.internal.wire;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.ByteBuf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * Writes frames to a blocking byte channel (PROTOCOL.md §1.7): for each message, the 16-byte header
 * with {@code thl}/{@code bl} taken from the actual sections, then the text headers, then the body,
 * resuming after partial writes. The channel number written is the message's own (the sender's
 * local channel); origin and bits 6–7 are written 0.
 *
 * <p>A batch is copied into one direct staging buffer borrowed from {@link StagingBuffers} for the
 * call, so many small frames leave in one system call from one contiguous buffer (a gathering write
 * of heap buffers costs the JDK a temporary direct buffer, a copy and an {@code iovec} per buffer).
 * A section over {@link #LARGE_SECTION} bytes is not copied: it goes out from the message's own
 * array together with what is staged before it, in one gathering write. The staging buffer is
 * given back when the call returns, so an idle writer holds none.
 *
 * <p>Threads: one writer per connection, used only by that connection's writer thread.
 */
public final class FrameWriter {
    /** Most frames one {@link #write} call takes. */
    public static final int MAX_BATCH = 64;
    /** Size of the staging buffers of {@link #FrameWriter(GatheringByteChannel)}. */
    public static final int DEFAULT_STAGING = 16 * 1024;
    /** Sections longer than this are written from the message's array rather than staged. */
    public static final int LARGE_SECTION = 4 * 1024;


    private final GatheringByteChannel out;
    private final StagingBuffers staging;
    private final long[] frameEnds = new long[MAX_BATCH]; // batch offsets just past each frame
    private final ByteBuffer[] pair = new ByteBuffer[2];  // staged bytes + a large section
    private ByteBuffer buffer;                            // borrowed for one write call
    private long sent;                                    // bytes of this batch the channel took
    private int count;                                    // frames in this batch
    private int completed;

    /** Creates a writer on {@code out} with a staging pool of its own. */
    public FrameWriter(GatheringByteChannel out) {
        this(out, new StagingBuffers(DEFAULT_STAGING, 2));
    }

    /** Creates a writer on {@code out} that borrows its staging buffer from {@code staging}. */
    public FrameWriter(GatheringByteChannel out, StagingBuffers staging) {
        this.out = out;
        this.staging = staging;
    }

    /**
     * Writes {@code msgs[0, count)} completely, in order.
     *
     * @throws IOException from the channel; {@link #completed()} then says how many frames were
     *                     fully written before it
     */
    public void write(MessageStore[] msgs, int count) throws IOException {
        if (count < 0 || count > MAX_BATCH) {
            throw new IllegalArgumentException("batch of " + count + " (max " + MAX_BATCH + ")");
        }
        completed = 0;
        sent = 0;
        this.count = count;
        long end = 0;
        for (int i = 0; i < count; i++) {
            MessageStore m = msgs[i];
            int thl = m.headers().length();
            int bl = m.body().length();
            if (thl > 0xFFFF || bl > 0xFFFF) {
                throw new IllegalArgumentException("section over 65535 bytes in " + m + " (post() checks this)");
            }
            end += FrameHeader.SIZE + thl + bl;
            frameEnds[i] = end;
        }
        if (count == 0) {
            return;
        }
        buffer = staging.borrow();
        try {
            for (int i = 0; i < count; i++) {
                stage(msgs[i]);
            }
            flush(null);
        } finally {
            staging.giveBack(buffer);
            buffer = null;
        }
    }

    private void stage(MessageStore m) throws IOException {
        ByteBuf th = m.headers();
        ByteBuf body = m.body();
        if (buffer.remaining() < FrameHeader.SIZE) {
            flush(null);
        }
        buffer.putShort((short) m.channel())
                .put((byte) FrameHeader.proto(m.opCodeRaw(), false, m.more()))
                .put((byte) m.statusRaw())
                .putLong(m.messageId())
                .putShort((short) th.length())
                .putShort((short) body.length());
        section(th);
        section(body);
    }

    private void section(ByteBuf b) throws IOException {
        int len = b.length();
        if (len > LARGE_SECTION) {
            flush(b.contentView()); // staged bytes and the section, in one gathering write
            return;
        }
        int at = 0;
        while (at < len) {
            if (!buffer.hasRemaining()) {
                flush(null);
            }
            int n = Math.min(buffer.remaining(), len - at);
            buffer.put(b.array(), at, n);
            at += n;
        }
    }

    /** Writes the staged bytes, then {@code large} if not null, completely; empties the buffer. */
    private void flush(ByteBuffer large) throws IOException {
        buffer.flip();
        if (large == null) {
            while (buffer.hasRemaining()) {
                wrote(out.write(buffer));
            }
        } else {
            pair[0] = buffer;
            pair[1] = large;
            try {
                while (large.hasRemaining()) {
                    wrote(out.write(pair, 0, 2));
                }
            } finally {
                pair[0] = null;
                pair[1] = null;
            }
        }
        buffer.clear();
    }

    private void wrote(long n) {
        sent += n;
        while (completed < count && frameEnds[completed] <= sent) {
            completed++;
        }
    }

    /** Returns how many frames of the last {@link #write} call were completely written. */
    public int completed() {
        return completed;
    }

    /**
     * Encodes one message into a new array exactly as {@link #write} sends it (for tests and tools).
     */
    public static byte[] encode(MessageStore m) {
        ByteBuf th = m.headers();
        ByteBuf body = m.body();
        if (th.length() > 0xFFFF || body.length() > 0xFFFF) {
            throw new IllegalArgumentException("section over 65535 bytes");
        }
        byte[] frame = new byte[FrameHeader.SIZE + th.length() + body.length()];
        FrameHeader.encode(frame, 0, m.channel(), FrameHeader.proto(m.opCodeRaw(), false, m.more()),
                m.statusRaw(), m.messageId(), th.length(), body.length());
        System.arraycopy(th.array(), 0, frame, FrameHeader.SIZE, th.length());
        System.arraycopy(body.array(), 0, frame, FrameHeader.SIZE + th.length(), body.length());
        return frame;
    }
}
