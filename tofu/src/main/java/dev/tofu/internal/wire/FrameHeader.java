package dev.tofu.internal.wire;

/**
 * The 16-byte binary header that starts every frame (PROTOCOL.md §1.2–§1.3), all fields big-endian:
 *
 * <pre>
 *  0               1               2               3
 *  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 * +-------------------------------+---------------+---------------+
 * |   channel_number (sender's)   |     proto     |    status     |  0
 * +-------------------------------+---------------+---------------+
 * |                     message_id (uint64)                       |  4
 * |                                                               |
 * +-------------------------------+-------------------------------+
 * |   thl (text-header length)    |        bl (body length)       |  12
 * +-------------------------------+-------------------------------+
 *
 * proto:   bit 7   6   5      4       3..0
 *              B   A   more   origin  opCode
 * </pre>
 *
 * <p>A mutable holder so a reader can decode into one instance per channel without allocating.
 * Not thread-safe: one per reader (or per test).
 */
public final class FrameHeader {
    /** Size of the header in bytes. */
    public static final int SIZE = 16;
    /** Offset of {@code channel_number} (uint16). */
    public static final int OFFSET_CHANNEL = 0;
    /** Offset of {@code proto} (uint8). */
    public static final int OFFSET_PROTO = 2;
    /** Offset of {@code status} (uint8). */
    public static final int OFFSET_STATUS = 3;
    /** Offset of {@code message_id} (uint64). */
    public static final int OFFSET_MESSAGE_ID = 4;
    /** Offset of {@code thl} (uint16). */
    public static final int OFFSET_THL = 12;
    /** Offset of {@code bl} (uint16). */
    public static final int OFFSET_BL = 14;

    /** proto bits 0–3: the opcode. */
    public static final int OPCODE_MASK = 0x0F;
    /** proto bit 4: origin (1 = engine); always 0 on the wire from tofu for Java. */
    public static final int ORIGIN_BIT = 0x10;
    /** proto bit 5: more messages with the same id follow. */
    public static final int MORE_BIT = 0x20;
    /** proto bit 6: tofu's internal out-of-band marker; written 0, ignored on receipt. */
    public static final int INTERNAL_A_BIT = 0x40;
    /** proto bit 7: reserved; written 0, ignored on receipt. */
    public static final int INTERNAL_B_BIT = 0x80;

    /** uint16 channel number as on the wire. */
    public int channel;
    /** The whole proto byte, 0..255. */
    public int proto;
    /** uint8 status. */
    public int status;
    /** The message id (unsigned 64-bit). */
    public long messageId;
    /** uint16 text-header length. */
    public int thl;
    /** uint16 body length. */
    public int bl;

    /** Returns the opcode bits, 0..15. */
    public int opCode() {
        return proto & OPCODE_MASK;
    }

    /** Returns the more bit. */
    public boolean more() {
        return (proto & MORE_BIT) != 0;
    }

    /** Returns the origin bit (1 = engine). */
    public boolean originEngine() {
        return (proto & ORIGIN_BIT) != 0;
    }

    /** Returns the proto byte for the given fields: {@code opCode | origin<<4 | more<<5}. */
    public static int proto(int opCode, boolean originEngine, boolean more) {
        return (opCode & OPCODE_MASK) | (originEngine ? ORIGIN_BIT : 0) | (more ? MORE_BIT : 0);
    }

    /** Decodes {@code src[off, off+16)} into this holder. */
    public FrameHeader decode(byte[] src, int off) {
        channel = u16(src, off + OFFSET_CHANNEL);
        proto = src[off + OFFSET_PROTO] & 0xFF;
        status = src[off + OFFSET_STATUS] & 0xFF;
        long id = 0;
        for (int i = 0; i < 8; i++) {
            id = (id << 8) | (src[off + OFFSET_MESSAGE_ID + i] & 0xFFL);
        }
        messageId = id;
        thl = u16(src, off + OFFSET_THL);
        bl = u16(src, off + OFFSET_BL);
        return this;
    }

    /** Encodes this holder into {@code dst[off, off+16)}. */
    public void encode(byte[] dst, int off) {
        encode(dst, off, channel, proto, status, messageId, thl, bl);
    }

    /**
     * Encodes the given fields into {@code dst[off, off+16)}; each is truncated to its wire width.
     */
    public static void encode(byte[] dst, int off, int channel, int proto, int status, long messageId, int thl, int bl) {
        putU16(dst, off + OFFSET_CHANNEL, channel);
        dst[off + OFFSET_PROTO] = (byte) proto;
        dst[off + OFFSET_STATUS] = (byte) status;
        for (int i = 7; i >= 0; i--) {
            dst[off + OFFSET_MESSAGE_ID + i] = (byte) messageId;
            messageId >>>= 8;
        }
        putU16(dst, off + OFFSET_THL, thl);
        putU16(dst, off + OFFSET_BL, bl);
    }

    @Override
    public String toString() {
        return "FrameHeader[ch=" + channel + " proto=0x" + Integer.toHexString(proto) + " status=" + status
                + " id=" + Long.toUnsignedString(messageId) + " thl=" + thl + " bl=" + bl + "]";
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    private static void putU16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }
}
