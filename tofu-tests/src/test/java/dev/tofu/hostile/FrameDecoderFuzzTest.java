package dev.tofu.hostile;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.ByteBuf;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.ProtocolViolationException;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of the frame decoder (PROTOCOL.md §1.2, §1.7, §1.8) with Jazzer.
 *
 * <p>Properties, for every byte stream served in every chunking: {@link FrameReader} throws nothing
 * but {@link EOFException} (stream ends inside a frame) or {@link ProtocolViolationException}
 * (opcode 8..15, §1.8); it never hangs (it makes progress on every read, and the fake channel ends);
 * it never allocates more than a frame's declared {@code thl}/{@code bl} (ByteBuf storage is exact);
 * and every frame it does return has exactly the sections and header fields the bytes say.
 *
 * <p>In CI (no {@code JAZZER_FUZZ}) Jazzer only replays the seed corpus in
 * {@code src/test/resources/dev/tofu/hostile/FrameDecoderFuzzTestInputs/} plus an empty input. A real
 * fuzzing session (findings are written as new corpus files next to the seeds):
 * <pre>
 * JAZZER_FUZZ=1 ./mvnw -pl tofu-tests -am test -Dtest=FrameDecoderFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * which fuzzes for {@code maxDuration} below (10 s ran about 340,000 inputs here). For a longer session
 * raise {@code maxDuration} and the class's {@code @Timeout} together: JUnit still enforces
 * {@code @Timeout} on the whole fuzzing run (Jazzer issue #930). Generated inputs go to
 * {@code tofu-tests/.cifuzz-corpus/} (keep it out of git); a crashing input is written next to the
 * seeds and then replays in every CI run.
 */
@Timeout(60)
class FrameDecoderFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void frameReaderThrowsOnlyDocumentedExceptionsAndAllocatesOnlyDeclaredLengths(FuzzedDataProvider data) {
        int maxChunk = data.consumeInt(1, 64);
        int bufferSize = data.consumeInt(16, 256);
        boolean sectionsViaReadFrame = data.consumeBoolean();
        byte[] stream = data.consumeRemainingAsBytes();

        ChunkedChannel in = new ChunkedChannel(stream, maxChunk);
        FrameReader reader = new FrameReader(in, bufferSize);
        MessageStore m = new MessagePool(1, 1).get(AllocationStrategy.ALWAYS);
        FrameHeader h = new FrameHeader();
        int offset = 0;        // where the next frame starts in `stream`
        int maxThl = 0;
        int maxBl = 0;
        int frames = 0;
        try {
            while (true) {
                boolean got;
                if (sectionsViaReadFrame) {
                    got = reader.readFrame(h, m);
                } else {
                    got = reader.readHeader(h);
                    if (got) {
                        dev.tofu.internal.wire.ReceiveRules.check(h);
                        reader.readSections(h, m);
                    }
                }
                if (!got) {
                    assertEquals(stream.length, offset, "clean end of stream only between frames");
                    break;
                }
                frames++;
                maxThl = Math.max(maxThl, h.thl);
                maxBl = Math.max(maxBl, h.bl);
                // the frame decoded is exactly what the bytes at `offset` say (§1.2, big-endian)
                FrameHeader expect = new FrameHeader().decode(stream, offset);
                assertEquals(expect.toString(), h.toString(), "§1.2: header fields");
                assertTrue(h.opCode() <= 7, "§1.8: opcodes 8..15 are never accepted");
                ByteBuf headers = m.headers();
                ByteBuf body = m.body();
                assertEquals(h.thl, headers.length(), "§1.7: exactly thl text-header bytes");
                assertEquals(h.bl, body.length(), "§1.7: exactly bl body bytes");
                int at = offset + FrameHeader.SIZE;
                assertArrayEquals(java.util.Arrays.copyOfRange(stream, at, at + h.thl),
                        java.util.Arrays.copyOf(headers.array(), h.thl), "§1.7: text headers verbatim");
                assertArrayEquals(java.util.Arrays.copyOfRange(stream, at + h.thl, at + h.thl + h.bl),
                        java.util.Arrays.copyOf(body.array(), h.bl), "§1.7: body verbatim");
                assertEquals(h.status, m.statusRaw(), "§1.8: status passed through");
                assertEquals(h.more(), m.more(), "§1.8: more passed through");
                assertTrue(!m.isFromEngine(), "§1.8: origin cleared");
                assertStorageBounded(m, maxThl, maxBl);
                offset = at + h.thl + h.bl;
            }
        } catch (ProtocolViolationException e) {
            int op = new FrameHeader().decode(stream, offset).opCode();
            assertTrue(op >= 8, "§1.8: only opcodes 8..15 are violations, got " + op + ": " + e);
        } catch (EOFException e) {
            assertTrue(stream.length - offset > 0, "EOF only inside a frame: " + e);
            // the unfinished frame may have grown the buffers, but only to what its header declared
            if (stream.length - offset >= FrameHeader.SIZE) {
                FrameHeader partial = new FrameHeader().decode(stream, offset);
                maxThl = Math.max(maxThl, partial.thl);
                maxBl = Math.max(maxBl, partial.bl);
            }
            assertStorageBounded(m, maxThl, maxBl);
        } catch (IOException e) {
            fail("undocumented IOException from the decoder: " + e, e);
        }
        // progress: never more reads than bytes plus one final end-of-stream per attempt
        assertTrue(in.reads <= stream.length + frames + 2, "reads " + in.reads + " for " + stream.length + " bytes");
    }

    private static void assertStorageBounded(MessageStore m, int maxThl, int maxBl) {
        assertTrue(m.headers().capacity() <= maxThl,
                "no allocation beyond the declared thl: capacity " + m.headers().capacity() + " > " + maxThl);
        assertTrue(m.body().capacity() <= maxBl,
                "no allocation beyond the declared bl: capacity " + m.body().capacity() + " > " + maxBl);
    }

    /** Serves {@code data} in chunks of 1..maxChunk bytes (sizes derived from the data), then EOF. */
    static final class ChunkedChannel implements ReadableByteChannel {
        private final byte[] data;
        private final int maxChunk;
        private int pos;
        int reads;

        ChunkedChannel(byte[] data, int maxChunk) {
            this.data = data;
            this.maxChunk = maxChunk;
        }

        @Override
        public int read(ByteBuffer dst) {
            reads++;
            if (pos >= data.length) {
                return -1;
            }
            int chunk = 1 + (Byte.toUnsignedInt(data[pos]) % maxChunk);
            int n = Math.min(Math.min(chunk, dst.remaining()), data.length - pos);
            dst.put(data, pos, n);
            pos += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
