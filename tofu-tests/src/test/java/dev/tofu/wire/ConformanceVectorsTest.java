package dev.tofu.wire;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.Address;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.FrameWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worked examples of PROTOCOL.md §1.4, byte for byte, and the layout facts of §1.2–§1.3.
 */
@Timeout(10)
class ConformanceVectorsTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ").withUpperCase();

    private static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static MessageStore vector1Message() {
        MessageStore m = store(new dev.tofu.Message().opCode(OpCode.REQUEST).channel(0x1234).more(true).messageId(42));
        v(m).headers().append("Content-Type", "text/plain");
        v(m).body().append(ascii("hello"));
        return m;
    }

    private static final byte[] VECTOR_1 = concat(
            hex("12 34 20 00 00 00 00 00 00 00 00 2A 00 19 00 05"),
            ascii("Content-Type:text/plain\r\n"),
            hex("68 65 6C 6C 6F"));

    private static final byte[] VECTOR_2 = concat(
            hex("00 07 03 00 00 00 00 00 00 00 00 01 00 20 00 00"),
            ascii("~connect_to:tcp|127.0.0.1|7099\r\n"));

    @Test
    void vector1RequestWithMoreHeaderAndBodyEncodesByteExact() {
        assertEquals(25, ascii("Content-Type:text/plain\r\n").length, "§1.4.1: the header line is 25 bytes");
        assertEquals(HEX.formatHex(VECTOR_1), HEX.formatHex(FrameWriter.encode(vector1Message())),
                "§1.4.1: Request ch 0x1234 more mid 42 + Content-Type header + body 'hello'");
    }

    @Test
    void vector1IsWhatTheFrameWriterSendsEvenOneByteAtATime() throws Exception {
        FakeChannels.CappedWriter out = new FakeChannels.CappedWriter(1, null, -1);
        new FrameWriter(out).write(new MessageStore[] {vector1Message()}, 1);
        assertArrayEquals(VECTOR_1, out.bytes(), "§1.4.1 / §1.7: the writer resumes after partial writes");
    }

    @Test
    void vector1DecodesBackToTheSameMessage() throws Exception {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        FrameHeader h = new FrameHeader();
        assertTrue(new FrameReader(FakeChannels.oneBytePerRead(VECTOR_1)).readFrame(h, m), "§1.7: one whole frame");
        assertEquals(0x1234, m.channel(), "§1.4.1 channel");
        assertEquals(OpCode.REQUEST, m.opCode(), "§1.4.1 opcode");
        assertTrue(m.more(), "§1.4.1 more");
        assertEquals(42, m.messageId(), "§1.4.1 message id");
        assertEquals("text/plain", v(m).headers().get("Content-Type"), "§1.4.1 text header");
        assertArrayEquals(ascii("hello"), m.body().toByteArray(), "§1.4.1 body");
        assertEquals(25, h.thl, "§1.4.1 thl");
        assertEquals(5, h.bl, "§1.4.1 bl");
    }

    @Test
    void vector2HelloRequestBuiltByTheDefaultTcpClientAddressEncodesByteExact() {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        Address.tcpClient().format(v(m));
        v(m).channel(7).messageId(1);
        assertEquals(32, ascii("~connect_to:tcp|127.0.0.1|7099\r\n").length, "§1.4.2: the header line is 32 bytes");
        assertEquals(HEX.formatHex(VECTOR_2), HEX.formatHex(FrameWriter.encode(m)),
                "§1.4.2: HelloRequest ch 7 mid 1 with ~connect_to:tcp|127.0.0.1|7099, no body");
    }

    @Test
    void vector2DecodesToAHelloRequestWhoseAddressParsesBack() throws Exception {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        assertTrue(new FrameReader(Channels.newChannel(new java.io.ByteArrayInputStream(VECTOR_2)))
                .readFrame(new FrameHeader(), m));
        assertEquals(OpCode.HELLO_REQUEST, m.opCode(), "§1.4.2 opcode 3");
        assertEquals(7, m.channel(), "§1.4.2 channel");
        assertEquals(1, m.messageId(), "§1.4.2 message id");
        assertEquals(0, m.body().length(), "§1.4.2 no body");
        assertEquals(List.of(new dev.tofu.TextHeader("~connect_to", "tcp|127.0.0.1|7099")), v(m).headers().all(),
                "§1.4.2 header");
        assertEquals(Address.tcpClient(), Address.of(v(m)), "§8: the default TCP client address parses back");
    }

    @Test
    void vector3HeaderEncodesAllSixFieldsBigEndian() {
        byte[] out = new byte[FrameHeader.SIZE];
        FrameHeader.encode(out, 0, 0x1234, FrameHeader.proto(OpCode.REQUEST.code(), false, false), 0xFF,
                0xAABBCCDDEEFF0011L, 0x5678, 0x9ABC);
        assertEquals("12 34 00 FF AA BB CC DD EE FF 00 11 56 78 9A BC", HEX.formatHex(out), "§1.4.3 encoding");
    }

    @Test
    void vector3HeaderDecodesToTheSameSixFields() {
        FrameHeader h = new FrameHeader().decode(hex("12 34 00 FF AA BB CC DD EE FF 00 11 56 78 9A BC"), 0);
        assertEquals(0x1234, h.channel, "§1.4.3 channel");
        assertEquals(0x00, h.proto, "§1.4.3 proto (Request)");
        assertEquals(0xFF, h.status, "§1.4.3 status");
        assertEquals(0xAABBCCDDEEFF0011L, h.messageId, "§1.4.3 message id (unsigned 64-bit)");
        assertEquals(0x5678, h.thl, "§1.4.3 thl");
        assertEquals(0x9ABC, h.bl, "§1.4.3 bl");
    }

    @Test
    void headerRoundTripThroughTheHolderKeepsEveryFieldAtAnOffset() {
        FrameHeader h = new FrameHeader();
        h.channel = 0xFFFF;
        h.proto = 0xFF;
        h.status = 0x80;
        h.messageId = -1L;
        h.thl = 0xFFFF;
        h.bl = 1;
        byte[] buf = new byte[3 + FrameHeader.SIZE];
        h.encode(buf, 3);
        FrameHeader back = new FrameHeader().decode(buf, 3);
        assertEquals(h.toString(), back.toString(), "§8: encode/decode round trip preserves all six fields");
        assertEquals(0, buf[0] | buf[1] | buf[2], "§1.2: the 16-byte header writes nothing before its offset");
    }

    @Test
    void encodedHeaderIsSixteenBytesWithFieldsInDeclarationOrder() {
        assertEquals(16, FrameHeader.SIZE, "§1.2: the binary header is 16 bytes");
        assertEquals(16, FrameWriter.encode(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)).length, "§1.1: an empty frame is just the 16-byte header");
        assertEquals(List.of(0, 2, 3, 4, 12, 14),
                List.of(FrameHeader.OFFSET_CHANNEL, FrameHeader.OFFSET_PROTO, FrameHeader.OFFSET_STATUS,
                        FrameHeader.OFFSET_MESSAGE_ID, FrameHeader.OFFSET_THL, FrameHeader.OFFSET_BL),
                "§1.2 offsets: channel 0, proto 2, status 3, message_id 4, thl 12, bl 14");
    }

    @Test
    void protoBitPositionsAreMore0x20AndOrigin0x10() {
        assertEquals(0x20, FrameHeader.proto(0, false, true), "§1.3: more is bit 5 (0x20)");
        assertEquals(0x10, FrameHeader.proto(0, true, false), "§1.3: origin is bit 4 (0x10)");
        assertEquals(0x0F, FrameHeader.OPCODE_MASK, "§1.3: opCode is bits 0-3");
        assertEquals(0x20, FrameHeader.MORE_BIT, "§1.3 more mask");
        assertEquals(0x10, FrameHeader.ORIGIN_BIT, "§1.3 origin mask");
        assertEquals(0x40, FrameHeader.INTERNAL_A_BIT, "§1.3 internal A mask");
        assertEquals(0x80, FrameHeader.INTERNAL_B_BIT, "§1.3 internal B mask");
        for (OpCode op : OpCode.values()) {
            assertEquals(op.code() | 0x30, FrameHeader.proto(op.code(), true, true),
                    "§1.3: proto = opCode | origin<<4 | more<<5 for " + op);
        }
    }

    @Test
    void vector4EngineSignalIs0x12() {
        assertEquals(0x12, FrameHeader.proto(OpCode.SIGNAL.code(), true, false), "§1.4.4: engine Signal = 0x12");
        FrameHeader h = new FrameHeader();
        h.proto = 0x12;
        assertEquals(OpCode.SIGNAL.code(), h.opCode(), "§1.4.4: 0x12 is a Signal");
        assertTrue(h.originEngine(), "§1.4.4: 0x12 has origin engine");
        assertFalse(h.more(), "§1.4.4: 0x12 has no more");
    }

    @Test
    void vector4AbortByeSignalIs0x47() {
        assertEquals(0x47, FrameHeader.proto(OpCode.BYE_SIGNAL.code(), false, false) | FrameHeader.INTERNAL_A_BIT,
                "§1.4.4: tofu's abort-ByeSignal = ByeSignal | internal bit A = 0x47");
        FrameHeader h = new FrameHeader();
        h.proto = 0x47;
        assertEquals(OpCode.BYE_SIGNAL.code(), h.opCode(), "§1.4.4: 0x47 is a ByeSignal");
        assertFalse(h.originEngine(), "§1.4.4: 0x47 has origin application");
        assertFalse(h.more(), "§1.4.4: 0x47 has no more");
    }

    @Test
    void writerNeverPutsOriginOrInternalBitsOnTheWire() {
        MessageStore m = store(new dev.tofu.Message().opCode(OpCode.SIGNAL).channel(1).origin(Origin.ENGINE));
        byte[] frame = FrameWriter.encode(m);
        assertEquals(0x02, frame[FrameHeader.OFFSET_PROTO] & 0xFF,
                "§1.3: Java MUST write bits 4, 6 and 7 as 0 on the wire (engine Signal 0x12 goes out as 0x02)");
    }
}
