package dev.tofu.wire;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.TextHeader;
import dev.tofu.internal.message.ByteBuf;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.FrameWriter;
import dev.tofu.internal.wire.ProtocolViolationException;
import dev.tofu.internal.wire.TextHeaderParser;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the codec (PROTOCOL.md §1): encode then decode is the identity, the decoder fails
 * only in the two documented ways on any input and never allocates past the declared lengths, and
 * the text-header parser matches the §1.5 algorithm on any bytes.
 */
class WirePropertiesTest {

    /** A message to put on the wire, as plain values so a failing case prints readably. */
    record WireMessage(int opCode, boolean more, int channel, long messageId, int status,
                       List<TextHeader> headers, int bodyLength, long bodySeed) {
        byte[] body() {
            byte[] b = new byte[bodyLength];
            new Random(bodySeed).nextBytes(b);
            return b;
        }

        MessageStore build() {
            MessageStore m = store(new dev.tofu.Message().opCode(OpCode.of(opCode)).more(more).channel(channel).messageId(messageId));
            m.setStatusRaw(status);
            headers.forEach(h -> v(m).headers().append(h.name(), h.value()));
            v(m).body().append(body());
            return m;
        }
    }

    private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~.é日";
    private static final String VALUE_CHARS = NAME_CHARS + " \t:|/\"ü!#$%&'()*+,;<=>?@[]^`{}";

    private static Arbitrary<TextHeader> validHeader() {
        Arbitrary<String> names = Arbitraries.strings().withChars(NAME_CHARS.toCharArray()).ofMinLength(1).ofMaxLength(16);
        Arbitrary<String> values = Arbitraries.strings().withChars(VALUE_CHARS.toCharArray()).ofMinLength(1).ofMaxLength(40)
                .filter(v -> !isSpaceOrTab(v.charAt(0)) && !isSpaceOrTab(v.charAt(v.length() - 1)));
        return Combinators.combine(names, values).as(TextHeader::new);
    }

    private static Arbitrary<WireMessage> messages(int maxBody) {
        return Combinators.combine(
                Arbitraries.integers().between(0, 7),                       // opcodes that may be received (§1.8)
                Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 0xFFFF),
                Arbitraries.longs(),                                        // negative longs = ids >= 2^63
                Arbitraries.integers().between(0, 0xFF),
                validHeader().list().ofMaxSize(12),
                Arbitraries.integers().between(0, maxBody).edgeCases(c -> c.includeOnly(0, 1, maxBody)),
                Arbitraries.longs()).as(WireMessage::new);
    }

    @Provide
    Arbitrary<WireMessage> smallMessages() {
        return messages(2000);
    }

    @Provide
    Arbitrary<WireMessage> largeMessages() {
        return messages(0xFFFF);
    }

    private static void assertDecodesToItself(WireMessage spec, ReadableByteChannel in, int bufferSize) throws IOException {
        MessageStore original = spec.build();
        MessageStore decoded = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        FrameReader reader = new FrameReader(in, bufferSize);
        assertTrue(reader.readFrame(new FrameHeader(), decoded), "§1.7: one frame");
        assertEquals(spec.channel(), decoded.channel(), "§1.2 channel_number round trip");
        assertEquals(spec.opCode(), FakeChannels.opCodeRaw(decoded), "§1.3 opCode round trip");
        assertEquals(spec.more(), decoded.more(), "§1.3 more round trip");
        assertEquals(spec.status(), FakeChannels.statusRaw(decoded), "§1.8 status passes through");
        assertEquals(spec.messageId(), decoded.messageId(), "§1.2 message_id round trip (unsigned 64-bit)");
        assertEquals(Origin.APPLICATION, v(decoded).origin(), "§1.8 origin application");
        assertArrayEquals(original.headers().toByteArray(), decoded.headers().toByteArray(),
                "§1.7 text-header section delivered unchanged");
        assertEquals(spec.headers(), v(decoded).headers().all(), "§1.5 writer output parses back to the appended entries");
        assertArrayEquals(spec.body(), decoded.body().toByteArray(), "§1.7 body delivered unchanged");
        assertFalse(reader.readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)), "§1.7 nothing after the frame");
    }

    @Property(tries = 200)
    void encodeThenDecodeIsTheIdentity(@ForAll("smallMessages") WireMessage spec) throws IOException {
        byte[] frame = FrameWriter.encode(spec.build());
        assertDecodesToItself(spec, Channels.newChannel(new ByteArrayInputStream(frame)), FrameReader.DEFAULT_BUFFER);
    }

    @Property(tries = 200)
    void encodeThenDecodeIsTheIdentityAcrossPartialReads(@ForAll("smallMessages") WireMessage spec,
                                                          @ForAll @IntRange(min = 1, max = 64) int maxChunk,
                                                          @ForAll @IntRange(min = 16, max = 256) int bufferSize,
                                                          @ForAll long seed) throws IOException {
        byte[] frame = FrameWriter.encode(spec.build());
        assertDecodesToItself(spec, FakeChannels.randomChunks(frame, seed, maxChunk), bufferSize);
    }

    @Property(tries = 25)
    void encodeThenDecodeIsTheIdentityForBodiesUpTo64KiB(@ForAll("largeMessages") WireMessage spec,
                                                          @ForAll long seed) throws IOException {
        byte[] frame = FrameWriter.encode(spec.build());
        assertDecodesToItself(spec, FakeChannels.randomChunks(frame, seed, 9000), FrameReader.DEFAULT_BUFFER);
    }

    @Property(tries = 50)
    void writerBatchEqualsConcatenatedEncodingsUnderAnyPartialWrites(@ForAll("smallMessageLists") List<WireMessage> specs,
                                                                    @ForAll @IntRange(min = 1, max = 40) int maxPerWrite,
                                                                    @ForAll long seed) throws IOException {
        MessageStore[] msgs = specs.stream().map(WireMessage::build).toArray(MessageStore[]::new);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (MessageStore m : msgs) {
            expected.writeBytes(FrameWriter.encode(m));
        }
        FakeChannels.CappedWriter out = new FakeChannels.CappedWriter(maxPerWrite, new Random(seed), -1);
        FrameWriter writer = new FrameWriter(out);
        writer.write(msgs, msgs.length);
        assertArrayEquals(expected.toByteArray(), out.bytes(), "§1.7: frames in order, resumed after partial writes");
        assertEquals(msgs.length, writer.completed(), "§1.7: all frames completed");

        FrameReader reader = new FrameReader(FakeChannels.randomChunks(out.bytes(), seed, maxPerWrite + 7));
        for (WireMessage spec : specs) {
            MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
            assertTrue(reader.readFrame(new FrameHeader(), m), "§1.1: frames back to back");
            assertEquals(spec.messageId(), m.messageId(), "§1.1: frames are never interleaved");
            assertArrayEquals(spec.body(), m.body().toByteArray(), "§1.7: body");
        }
        assertFalse(reader.readFrame(new FrameHeader(), new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)), "§1.7: clean end");
    }

    @Provide
    Arbitrary<List<WireMessage>> smallMessageLists() {
        return messages(300).list().ofMinSize(1).ofMaxSize(FrameWriter.MAX_BATCH);
    }

    // ---- the decoder on arbitrary input ----

    @Provide
    Arbitrary<byte[]> arbitraryStreams() {
        Arbitrary<byte[]> noise = Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
        // Plausible frames: a header with any proto/status and small lengths, then sections that
        // may be short, long or cut, several in a row.
        Arbitrary<byte[]> plausibleFrame = Combinators.combine(
                Arbitraries.integers().between(0, 0xFF),
                Arbitraries.integers().between(0, 0xFF),
                Arbitraries.integers().between(0, 120),
                Arbitraries.integers().between(0, 120),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(260)).as((proto, status, thl, bl, tail) -> {
            byte[] f = new byte[FrameHeader.SIZE + tail.length];
            FrameHeader.encode(f, 0, 7, proto, status, 1, thl, bl);
            System.arraycopy(tail, 0, f, FrameHeader.SIZE, tail.length);
            return f;
        });
        Arbitrary<byte[]> plausibleStream = plausibleFrame.list().ofMaxSize(6).map(list -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            list.forEach(out::writeBytes);
            return out.toByteArray();
        });
        return Arbitraries.oneOf(noise, plausibleStream);
    }

    @Property(tries = 400)
    void decoderFailsOnlyWithEofOrProtocolViolationAndNeverOverAllocates(@ForAll("arbitraryStreams") byte[] stream,
                                                                          @ForAll @IntRange(min = 1, max = 50) int maxChunk,
                                                                          @ForAll long seed) {
        FrameReader reader = new FrameReader(FakeChannels.randomChunks(stream, seed, maxChunk), 16 + (int) (Math.abs(seed % 64)));
        int frames = 0;
        while (true) {
            FrameHeader h = new FrameHeader();
            MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
            boolean more;
            try {
                more = reader.readFrame(h, m);
            } catch (EOFException | ProtocolViolationException expected) {
                ByteBuf th = m.headers();
                ByteBuf body = m.body();
                assertTrue(th.capacity() <= 0xFFFF && body.capacity() <= 0xFFFF, "§1.6: no section over 65535 bytes");
                assertTrue(th.capacity() == 0 || th.capacity() == h.thl, "never more than the declared thl");
                assertTrue(body.capacity() == 0 || body.capacity() == h.bl, "never more than the declared bl");
                break;
            } catch (Throwable other) {
                throw new AssertionError("FrameReader: only EOFException and ProtocolViolationException, got " + other, other);
            }
            if (!more) {
                break;
            }
            frames++;
            assertBuffersExactly(m, h.thl, h.bl, "a decoded frame");
            assertTrue(h.opCode() <= 7, "§1.8: only opcodes 0..7 are accepted");
            assertEquals(Origin.APPLICATION, v(m).origin(), "§1.8: origin cleared");
        }
        assertTrue(frames * FrameHeader.SIZE <= stream.length, "each decoded frame consumed at least 16 bytes");
    }

    private static void assertBuffersExactly(MessageStore m, int thl, int bl, String what) {
        assertEquals(thl, m.headers().capacity(), "§1.7: " + what + ": text-header buffer == declared thl");
        assertEquals(bl, m.body().capacity(), "§1.7: " + what + ": body buffer == declared bl");
        assertEquals(thl, m.headers().length(), "§1.7: exactly thl bytes");
        assertEquals(bl, m.body().length(), "§1.7: exactly bl bytes");
    }

    // ---- the text-header parser ----

    @Provide
    Arbitrary<byte[]> headerSections() {
        Arbitrary<byte[]> structural = Arbitraries.of((byte) 'a', (byte) 'b', (byte) ':', (byte) ' ', (byte) '\t',
                        (byte) '\r', (byte) '\n', (byte) 0xC3, (byte) 0xA9, (byte) 0xFF, (byte) 0)
                .array(byte[].class).ofMaxSize(80);
        Arbitrary<byte[]> noise = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        return Arbitraries.oneOf(structural, noise);
    }

    @Property(tries = 1000)
    void parserNeverThrowsAndMatchesTheSpecAlgorithm(@ForAll("headerSections") byte[] section,
                                                     @ForAll @IntRange(min = 0, max = 8) int slack) {
        byte[] padded = Arrays.copyOf(section, section.length + slack); // bytes past the length must be ignored
        Arrays.fill(padded, section.length, padded.length, (byte) ':');
        List<TextHeader> actual = new ArrayList<>();
        TextHeaderParser.parse(padded, section.length, (n, v) -> actual.add(new TextHeader(n, v)));
        assertEquals(referenceParse(section), actual, "§1.5: parsing MUST be byte-exact with the algorithm");
        for (TextHeader h : actual) {
            assertFalse(h.name().isEmpty(), "§1.5 step 5: yielded names are never empty");
            assertFalse(h.name().contains(":"), "§1.5 step 4: the name ends at the first ':'");
        }
    }

    @Property(tries = 300)
    void writtenHeadersParseBackTrimmedAsSpecified(@ForAll("writerInputs") List<TextHeader> input) {
        MessageStore m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        input.forEach(h -> v(m).headers().append(h.name(), h.value()));
        List<TextHeader> expected = input.stream()
                .map(h -> new TextHeader(trim(h.name(), " \t\r\n"), trim(h.value(), " \t"))).toList();
        assertEquals(expected, v(m).headers().all(), "§1.5: written name trimmed, value as given; read value trimmed");
    }

    @Provide
    Arbitrary<List<TextHeader>> writerInputs() {
        Arbitrary<String> names = Arbitraries.strings().withChars("ab~é \t".toCharArray()).ofMinLength(1).ofMaxLength(10)
                .filter(n -> !trim(n, " \t").isEmpty());
        Arbitrary<String> values = Arbitraries.strings().withChars("xy:| \té".toCharArray()).ofMinLength(1).ofMaxLength(12);
        return Combinators.combine(names, values).as(TextHeader::new).list().ofMaxSize(8);
    }

    /** PROTOCOL.md §1.5 "Parsing", steps 1–5, written directly from the spec text. */
    static List<TextHeader> referenceParse(byte[] s) {
        List<TextHeader> out = new ArrayList<>();
        int len = s.length;
        int i = 0;
        while (i < len) {
            int j = -1;
            for (int k = i; k + 1 < len; k++) {
                if (s[k] == '\r' && s[k + 1] == '\n') {
                    j = k;
                    break;
                }
            }
            int start = i;
            int end;
            if (j < 0) {
                end = len;
                i = len;
            } else if (j == i) {
                i += 2;
                continue;
            } else {
                end = j;
                i = j + 2;
            }
            int colon = -1;
            for (int k = start; k < end; k++) {
                if (s[k] == ':') {
                    colon = k;
                    break;
                }
            }
            int nameEnd = colon < 0 ? end : colon;
            int vs = colon < 0 ? end : colon + 1;
            int ve = end;
            while (vs < ve && (s[vs] == ' ' || s[vs] == '\t')) {
                vs++;
            }
            while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t')) {
                ve--;
            }
            if (nameEnd == start) {
                break;
            }
            out.add(new TextHeader(new String(s, start, nameEnd - start, StandardCharsets.UTF_8),
                    new String(s, vs, ve - vs, StandardCharsets.UTF_8)));
        }
        return out;
    }

    private static boolean isSpaceOrTab(char c) {
        return c == ' ' || c == '\t';
    }

    private static String trim(String s, String chars) {
        int a = 0;
        int b = s.length();
        while (a < b && chars.indexOf(s.charAt(a)) >= 0) {
            a++;
        }
        while (b > a && chars.indexOf(s.charAt(b - 1)) >= 0) {
            b--;
        }
        return s.substring(a, b);
    }
}
