package dev.tofu.internal.wire;

import dev.tofu.Message;
import dev.tofu.internal.message.ByteBuf;
import dev.tofu.internal.message.MessageAccess;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * Writes frames to a blocking byte channel (PROTOCOL.md §1.7): for each message, the 16-byte header
 * with {@code thl}/{@code bl} taken from the actual sections, then the text headers, then the body,
 * resuming after partial writes. Several frames go out in one gathering write. The channel number
 * written is the message's own (the sender's local channel); origin and bits 6–7 are written 0.
 *
 * <p>Threads: one writer per connection, used only by that connection's writer thread.
 */
public final class FrameWriter {
    /** Most frames one {@link #write} call takes. */
    public static final int MAX_BATCH = 64;

    private static final MessageAccess ACCESS = MessageAccess.get();

    private final GatheringByteChannel out;
    private final byte[] headers = new byte[MAX_BATCH * FrameHeader.SIZE];
    private final ByteBuffer[] headerSlots = new ByteBuffer[MAX_BATCH]; // reused views of `headers`
    private final ByteBuffer[] vector = new ByteBuffer[MAX_BATCH * 3];
    private final int[] lastBufferOf = new int[MAX_BATCH];
    private int completed;

    /** Creates a writer on {@code out}. */
    public FrameWriter(GatheringByteChannel out) {
        this.out = out;
        for (int i = 0; i < MAX_BATCH; i++) {
            headerSlots[i] = ByteBuffer.wrap(headers, i * FrameHeader.SIZE, FrameHeader.SIZE);
        }
    }

    /**
     * Writes {@code msgs[0, count)} completely, in order.
     *
     * @throws IOException from the channel; {@link #completed()} then says how many frames were
     *                     fully written before it
     */
    public void write(Message[] msgs, int count) throws IOException {
        if (count < 0 || count > MAX_BATCH) {
            throw new IllegalArgumentException("batch of " + count + " (max " + MAX_BATCH + ")");
        }
        completed = 0;
        int n = 0;
        for (int i = 0; i < count; i++) {
            Message m = msgs[i];
            ByteBuf th = ACCESS.headers(m);
            ByteBuf body = ACCESS.body(m);
            if (th.length() > 0xFFFF || body.length() > 0xFFFF) {
                throw new IllegalArgumentException("section over 65535 bytes in " + m + " (post() checks this)");
            }
            int at = i * FrameHeader.SIZE;
            FrameHeader.encode(headers, at, m.channel(),
                    FrameHeader.proto(ACCESS.opCodeRaw(m), false, m.more()),
                    ACCESS.statusRaw(m), m.messageId(), th.length(), body.length());
            ByteBuffer slot = headerSlots[i];
            slot.limit(at + FrameHeader.SIZE).position(at);
            vector[n++] = slot;
            if (th.length() > 0) {
                vector[n++] = th.contentView();
            }
            if (body.length() > 0) {
                vector[n++] = body.contentView();
            }
            lastBufferOf[i] = n - 1;
        }
        int start = 0;
        try {
            while (start < n) {
                out.write(vector, start, n - start);
                while (start < n && !vector[start].hasRemaining()) {
                    if (completed < count && lastBufferOf[completed] == start) {
                        completed++;
                    }
                    start++;
                }
            }
        } finally {
            for (int i = 0; i < n; i++) {
                vector[i] = null;
            }
        }
    }

    /** Returns how many frames of the last {@link #write} call were completely written. */
    public int completed() {
        return completed;
    }

    /**
     * Encodes one message into a new array exactly as {@link #write} sends it (for tests and tools).
     */
    public static byte[] encode(Message m) {
        ByteBuf th = ACCESS.headers(m);
        ByteBuf body = ACCESS.body(m);
        if (th.length() > 0xFFFF || body.length() > 0xFFFF) {
            throw new IllegalArgumentException("section over 65535 bytes");
        }
        byte[] frame = new byte[FrameHeader.SIZE + th.length() + body.length()];
        FrameHeader.encode(frame, 0, m.channel(), FrameHeader.proto(ACCESS.opCodeRaw(m), false, m.more()),
                ACCESS.statusRaw(m), m.messageId(), th.length(), body.length());
        System.arraycopy(th.array(), 0, frame, FrameHeader.SIZE, th.length());
        System.arraycopy(body.array(), 0, frame, FrameHeader.SIZE + th.length(), body.length());
        return frame;
    }
}
