package dev.tofu.wire;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Status;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.FrameWriter;
import dev.tofu.internal.wire.ProtocolViolationException;
import dev.tofu.internal.wire.ReceiveRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frame reader of PROTOCOL.md §1.7 (exactly 16 + thl + bl bytes across any number of reads)
 * and the receive checks of §1.8.
 */
@Timeout(20)
class FrameReaderTest {

    /** A raw frame with the given header fields and sections (any proto and status, as a peer may send). */
    static byte[] rawFrame(int channel, int proto, int status, long id, byte[] headers, byte[] body) {
        byte[] frame = new byte[FrameHeader.SIZE + headers.length + body.length];
        FrameHeader.encode(frame, 0, channel, proto, status, id, headers.length, body.length);
        System.arraycopy(headers, 0, frame, FrameHeader.SIZE, headers.length);
        System.arraycopy(body, 0, frame, FrameHeader.SIZE + headers.length, body.length);
        return frame;
    }

    private static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    private static final byte[] HEADERS = ascii("a:1\r\nbb: 22\r\n");
    private static final byte[] BODY = bytes(300, 7);
    private static final byte[] FRAME = rawFrame(0xBEEF, FrameHeader.proto(OpCode.SIGNAL.code(), false, true), 0,
            0x8000_0000_0000_0001L, HEADERS, BODY);

    private static void assertFrameFields(MessageStore m) {
        assertEquals(0xBEEF, m.channel(), "§1.7: the wire channel number (the engine replaces it later)");
        assertEquals(OpCode.SIGNAL, m.opCode(), "§1.7: opcode delivered unchanged");
        assertTrue(m.more(), "§1.8: more passes through unchanged");
        assertEquals(Status.SUCCESS, m.status(), "§1.8: status passes through unchanged");
        assertEquals(0x8000_0000_0000_0001L, m.messageId(), "§1.2: message_id is an unsigned 64-bit value");
        assertEquals(Origin.APPLICATION, v(m).origin(), "§1.8: origin is application");
        assertArrayEquals(HEADERS, m.headers().toByteArray(), "§1.7: exactly thl text-header bytes");
        assertArrayEquals(BODY, m.body().toByteArray(), "§1.7: exactly bl body bytes");
    }

    @Test
    void decodesAFrameDeliveredOneByteAtATime() throws IOException {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        FrameReader reader = new FrameReader(FakeChannels.oneBytePerRead(FRAME));
        assertTrue(reader.readFrame(new FrameHeader(), m), "§1.7: a whole frame is read");
        assertFrameFields(m);
        assertFalse(reader.readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)), "§1.7: then the stream ends cleanly");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void decodesAFrameDeliveredInRandomChunks(long seed) throws IOException {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        FrameReader reader = new FrameReader(FakeChannels.randomChunks(FRAME, seed, 37), 16);
        assertTrue(reader.readFrame(new FrameHeader(), m), "§1.7: a whole frame is read across partial reads");
        assertFrameFields(m);
    }

    @Test
    void headerHolderReceivesTheDecodedFields() throws IOException {
        FrameHeader h = new FrameHeader();
        assertTrue(new FrameReader(FakeChannels.oneBytePerRead(FRAME)).readHeader(h), "§1.7: 16 header bytes");
        assertEquals(0xBEEF, h.channel, "§1.2 channel");
        assertEquals(0x22, h.proto, "§1.3 proto = Signal | more");
        assertEquals(HEADERS.length, h.thl, "§1.2 thl");
        assertEquals(BODY.length, h.bl, "§1.2 bl");
    }

    @Test
    void cleanEndOfStreamAtAFrameBoundaryIsNotAnError() throws IOException {
        assertFalse(new FrameReader(FakeChannels.oneBytePerRead(new byte[0])).readHeader(new FrameHeader()),
                "§1.7: end of stream before the first byte of a frame is a clean end");
        FrameReader reader = new FrameReader(FakeChannels.oneBytePerRead(FRAME));
        assertTrue(reader.readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)));
        assertFalse(reader.readHeader(new FrameHeader()), "§1.7: end of stream right after a frame is a clean end");
    }

    @Test
    void endOfStreamInsideTheHeaderIsEofAtEveryCut() {
        for (int cut = 1; cut < FrameHeader.SIZE; cut++) {
            byte[] partial = Arrays.copyOf(FRAME, cut);
            FrameReader reader = new FrameReader(FakeChannels.oneBytePerRead(partial));
            int at = cut;
            assertThrows(EOFException.class, () -> reader.readHeader(new FrameHeader()),
                    () -> "§1.8: end of stream after " + at + " header bytes discards the partial frame");
        }
    }

    @Test
    void endOfStreamInsideTheTextHeadersIsEof() {
        for (int cut = FrameHeader.SIZE; cut < FrameHeader.SIZE + HEADERS.length; cut++) {
            byte[] partial = Arrays.copyOf(FRAME, cut);
            FrameReader reader = new FrameReader(FakeChannels.oneBytePerRead(partial));
            int at = cut;
            assertThrows(EOFException.class, () -> reader.readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)),
                    () -> "§1.8: end of stream inside the text headers (cut at " + at + ")");
        }
    }

    @Test
    void endOfStreamInsideTheBodyIsEof() {
        for (int cut = FrameHeader.SIZE + HEADERS.length; cut < FRAME.length; cut += 17) {
            byte[] partial = Arrays.copyOf(FRAME, cut);
            int at = cut;
            assertThrows(EOFException.class,
                    () -> new FrameReader(FakeChannels.oneBytePerRead(partial)).readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)),
                    () -> "§1.8: end of stream inside the body (cut at " + at + ")");
        }
        byte[] lastByteMissing = Arrays.copyOf(FRAME, FRAME.length - 1);
        assertThrows(EOFException.class,
                () -> new FrameReader(FakeChannels.oneBytePerRead(lastByteMissing)).readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)),
                "§1.8: one body byte missing");
    }

    @Test
    void endOfStreamInsideALargeBodyReadDirectlyIsEof() {
        byte[] frame = rawFrame(1, 0, 0, 1, new byte[0], bytes(65535, 3));
        byte[] partial = Arrays.copyOf(frame, frame.length - 1000);
        assertThrows(EOFException.class,
                () -> new FrameReader(FakeChannels.randomChunks(partial, 9, 4096)).readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)),
                "§1.8: end of stream inside a body larger than the read buffer");
    }

    @Test
    void maximumSizeSectionsAreReadExactlyOneByteAtATime() throws IOException {
        byte[] headers = new byte[65535];
        Arrays.fill(headers, (byte) 'h');
        byte[] body = bytes(65535, 11);
        byte[] frame = rawFrame(65535, 0, 0, -1L, headers, body);
        assertEquals(131_086, frame.length, "§1.1: the largest frame is 16 + 65535 + 65535 bytes");
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        assertTrue(new FrameReader(FakeChannels.oneBytePerRead(frame)).readFrame(new FrameHeader(), m));
        assertArrayEquals(headers, m.headers().toByteArray(), "§1.6: 65535-byte text-header section");
        assertArrayEquals(body, m.body().toByteArray(), "§1.6: 65535-byte body");
        assertEquals(65535, m.body().capacity(), "§1.7: the body buffer is exactly the declared length");
        assertEquals(-1L, m.messageId(), "§1.2: message id 2^64-1");
    }

    @ParameterizedTest(name = "read buffer {0}")
    @ValueSource(ints = {16, 100, FrameReader.DEFAULT_BUFFER})
    void largeBodyIsReadCorrectlyWhateverTheBufferSize(int bufferSize) throws IOException {
        byte[] body = bytes(65535, bufferSize);
        byte[] frame = rawFrame(2, 1, 0, 5, ascii("x:y\r\n"), body);
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        assertTrue(new FrameReader(FakeChannels.randomChunks(frame, bufferSize, 5000), bufferSize)
                .readFrame(new FrameHeader(), m));
        assertArrayEquals(body, m.body().toByteArray(), "§1.7: exactly bl body bytes");
        assertEquals("y", v(m).headers().get("x"), "§1.7: text headers before the body");
    }

    @Test
    void severalFramesBackToBackAreReadInOrder() throws IOException {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            frames.add(rawFrame(i, i % 8, 0, 1000 + i, i % 3 == 0 ? new byte[0] : ascii("n:" + i + "\r\n"),
                    bytes(i * 97 % 5000, i)));
        }
        byte[] stream = concat(frames);
        for (ReadableByteChannel in : List.of(FakeChannels.oneBytePerRead(stream),
                FakeChannels.randomChunks(stream, 42, 3000),
                Channels.newChannel(new ByteArrayInputStream(stream)))) {
            FrameReader reader = new FrameReader(in);
            for (int i = 0; i < frames.size(); i++) {
                MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
                assertTrue(reader.readFrame(new FrameHeader(), m), "§1.1: frame " + i + " follows the previous one");
                assertEquals(i, m.channel(), "§1.1: frames are never interleaved (channel of frame " + i + ")");
                assertEquals(1000 + i, m.messageId(), "§1.1: message id of frame " + i);
                assertEquals(i % 3 == 0 ? null : String.valueOf(i), v(m).headers().get("n"), "§1.7: headers of frame " + i);
                assertArrayEquals(bytes(i * 97 % 5000, i), m.body().toByteArray(), "§1.7: body of frame " + i);
            }
            assertFalse(reader.readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)), "§1.7: clean end after the last frame");
        }
    }

    @Test
    void aReusedMessageTakesTheNewFrameSectionsExactly() throws IOException {
        byte[] stream = concat(List.of(rawFrame(1, 0, 0, 1, ascii("long:header\r\n"), bytes(500, 1)),
                rawFrame(2, 0, 0, 2, ascii("s:1\r\n"), bytes(3, 2))));
        FrameReader reader = new FrameReader(FakeChannels.oneBytePerRead(stream));
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        assertTrue(reader.readFrame(new FrameHeader(), m));
        assertTrue(reader.readFrame(new FrameHeader(), m));
        assertEquals(List.of(new dev.tofu.TextHeader("s", "1")), v(m).headers().all(), "§1.7: only the second frame's headers");
        assertArrayEquals(bytes(3, 2), m.body().toByteArray(), "§1.7: only the second frame's body");
    }

    @ParameterizedTest(name = "opcode {0}")
    @ValueSource(ints = {8, 9, 10, 11, 12, 13, 14, 15})
    void opcodesTenToFifteenAndWelcomeOpcodesAreProtocolViolations(int op) {
        byte[] frame = rawFrame(3, op, 0, 1, ascii("a:b\r\n"), bytes(10, op));
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        IOException e = assertThrows(ProtocolViolationException.class,
                () -> new FrameReader(FakeChannels.oneBytePerRead(frame)).readFrame(new FrameHeader(), m),
                "§1.8: Java MUST close the channel on a received opcode >= 10 or WelcomeRequest/WelcomeResponse");
        assertTrue(e instanceof IOException, "§1.8: a violation is an I/O failure of the channel (recv_failed)");
        assertEquals(0, m.body().length(), "§1.8: nothing of a rejected frame reaches the message");
        assertTrue(v(m).headers().isEmpty(), "§1.8: nothing of a rejected frame reaches the message");
        FrameHeader h = new FrameHeader();
        h.proto = op | FrameHeader.MORE_BIT;
        assertThrows(ProtocolViolationException.class, () -> ReceiveRules.check(h), "§1.8: ReceiveRules rejects opcode " + op);
    }

    @ParameterizedTest(name = "opcode {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7})
    void wireOpcodesZeroToSevenAreAccepted(int op) throws IOException {
        FrameHeader h = new FrameHeader();
        h.proto = op;
        assertDoesNotThrow(() -> ReceiveRules.check(h), "§1.8 / §5.5.4: opcodes 0..7 (ByeSignal included) are delivered");
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        assertTrue(new FrameReader(FakeChannels.oneBytePerRead(rawFrame(3, op, 0, 9, new byte[0], new byte[0])))
                .readFrame(new FrameHeader(), m));
        assertEquals(OpCode.of(op), m.opCode(), "§1.7: the opcode is delivered unchanged");
    }

    @Test
    void originBitOnTheWireIsClearedOnTheDecodedMessage() throws IOException {
        MessageStore m = store(new dev.tofu.Message().origin(Origin.ENGINE));
        byte[] frame = rawFrame(1, 0x12, 0, 1, new byte[0], new byte[0]);
        assertTrue(new FrameReader(FakeChannels.oneBytePerRead(frame)).readFrame(new FrameHeader(), m));
        assertEquals(Origin.APPLICATION, v(m).origin(), "§1.8: Java MUST clear the origin bit of every received frame");
        assertFalse(m.isFromEngine(), "§1.8: origin forced to application");
        assertEquals(OpCode.SIGNAL, m.opCode(), "§1.8: 0x12 is still a Signal");
    }

    @ParameterizedTest(name = "status {0}")
    @ValueSource(ints = {0, 1, 22, 30, 31, 0x80, 0xFF})
    void statusAndMorePassThroughUnchanged(int status) throws IOException {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        byte[] frame = rawFrame(1, FrameHeader.MORE_BIT | FrameHeader.ORIGIN_BIT, status, 1, new byte[0], new byte[0]);
        assertTrue(new FrameReader(FakeChannels.oneBytePerRead(frame)).readFrame(new FrameHeader(), m));
        assertEquals(status, FakeChannels.statusRaw(m), "§1.8: Java MUST pass status through unchanged");
        assertEquals(Status.of(status), m.status(), "§3: the raw status maps to its enum");
        assertTrue(m.more(), "§1.8: Java MUST pass more through unchanged");
        assertEquals(Origin.APPLICATION, v(m).origin(), "§1.8: origin cleared");
    }

    @ParameterizedTest(name = "proto 0x{0}")
    @ValueSource(ints = {0x40, 0x80, 0xC0, 0xE5, 0xF7})
    void internalBitsSixAndSevenAreIgnoredOnReceipt(int proto) throws IOException {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        byte[] frame = rawFrame(1, proto, 0, 1, new byte[0], new byte[0]);
        assertTrue(new FrameReader(FakeChannels.oneBytePerRead(frame)).readFrame(new FrameHeader(), m),
                "§1.3: Java MUST ignore bits 6-7 on receipt");
        assertEquals(proto & 0x0F, FakeChannels.opCodeRaw(m), "§1.3: opcode is the low four bits");
        assertEquals((proto & 0x20) != 0, m.more(), "§1.3: more is bit 5");
        assertEquals(Origin.APPLICATION, v(m).origin(), "§1.8: origin cleared");
    }

    @Test
    void whatTheWriterEncodesTheReaderDecodes() throws IOException {
        MessageStore out = store(new dev.tofu.Message().opCode(OpCode.BYE_RESPONSE).channel(65534).messageId(Long.MIN_VALUE));
        v(out).headers().append("reason", "full");
        v(out).body().append(bytes(1234, 5));
        MessageStore in = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        assertTrue(new FrameReader(FakeChannels.randomChunks(FrameWriter.encode(out), 77, 64)).readFrame(new FrameHeader(), in));
        assertEquals(v(out).header(), v(in).header(), "§1.7: binary header delivered unchanged");
        assertEquals(v(out).headers().all(), v(in).headers().all(), "§1.7: text headers delivered unchanged");
        assertArrayEquals(out.body().toByteArray(), in.body().toByteArray(), "§1.7: body delivered unchanged");
    }

    @Test
    void readerCanBeUsedRepeatedlyWithOneHolderForManySmallFrames() throws IOException {
        byte[] one = rawFrame(9, 2, 0, 1, new byte[0], new byte[] {1});
        byte[] stream = concat(IntStream.range(0, 1000).mapToObj(i -> one).toList());
        FrameReader reader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(stream)));
        FrameHeader h = new FrameHeader();
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        int frames = 0;
        while (reader.readFrame(h, m)) {
            frames++;
            assertEquals(1, m.body().length(), "§1.7: each small frame's body");
        }
        assertEquals(1000, frames, "§1.7: every frame of the stream, then a clean end");
        assertFalse(reader.hasBuffered(), "nothing is left buffered at the end of the stream");
    }

    @Test
    void completeFramesBufferedCountsOnlyWholeFramesAlreadyRead() throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int[] sizes = {0, 5, 100, 0, 33, 7};
        for (int i = 0; i < sizes.length; i++) {
            MessageStore m = store(new dev.tofu.Message().opCode(dev.tofu.OpCode.REQUEST).channel(1).messageId(i + 1));
            v(m).body().append(new byte[sizes[i]]);
            if (i == 2) {
                v(m).headers().append("k", "v");
            }
            out.writeBytes(FrameWriter.encode(m));
        }
        byte[] stream = out.toByteArray();
        byte[] cut = java.util.Arrays.copyOf(stream, stream.length - 3); // the last frame is 3 bytes short
        FrameReader reader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(cut)), 4096);
        FrameHeader h = new FrameHeader();
        assertTrue(reader.readHeader(h), "the first header");
        assertEquals(4, reader.completeFramesBuffered(h.thl + h.bl, 100), "frames 2..5 are whole; frame 6 is short");
        assertEquals(2, reader.completeFramesBuffered(h.thl + h.bl, 2), "at most max");
        assertEquals(0, reader.completeFramesBuffered(h.thl + h.bl, 0), "max 0 counts nothing");
        reader.readSections(h, new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        assertTrue(reader.readHeader(h), "the second header");
        assertEquals(3, reader.completeFramesBuffered(h.thl + h.bl, 100), "frames 3..5 after the second");
    }
}
