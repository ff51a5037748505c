package dev.tofu.wire;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameWriter;
import dev.tofu.internal.wire.StagingBuffers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The frame writer of PROTOCOL.md §1.7: header, text headers, body, resuming after partial writes,
 * frames in order; and its count of completely written frames when the channel fails.
 */
@Timeout(20)
class FrameWriterTest {

    /** A batch with every section shape: empty, headers only, body only, both, and a 64 KiB body. */
    private static MessageStore[] batch() {
        Random r = new Random(1234);
        MessageStore[] msgs = new MessageStore[6];
        msgs[0] = store(new dev.tofu.Message().opCode(OpCode.REQUEST).channel(1).messageId(1));
        msgs[1] = store(new dev.tofu.Message().opCode(OpCode.RESPONSE).channel(2).messageId(2).more(true));
        v(msgs[1]).headers().append("k", "v");
        msgs[2] = store(new dev.tofu.Message().opCode(OpCode.SIGNAL).channel(3).messageId(-3));
        v(msgs[2]).body().append(new byte[] {1, 2, 3});
        msgs[3] = store(new dev.tofu.Message().opCode(OpCode.BYE_REQUEST).channel(4).messageId(4));
        v(msgs[3]).headers().append("why", "done").append("x", "y");
        byte[] b = new byte[777];
        r.nextBytes(b);
        v(msgs[3]).body().append(b);
        msgs[4] = store(new dev.tofu.Message().opCode(OpCode.HELLO_RESPONSE).channel(5).messageId(5));
        byte[] big = new byte[65535];
        r.nextBytes(big);
        v(msgs[4]).body().append(big);
        msgs[5] = store(new dev.tofu.Message().opCode(OpCode.BYE_RESPONSE).channel(65535).messageId(Long.MAX_VALUE));
        return msgs;
    }

    private static byte[] expectedBytes(MessageStore[] msgs, int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            out.writeBytes(FrameWriter.encode(msgs[i]));
        }
        return out.toByteArray();
    }

    @Test
    void oneBytePerWriteStillProducesExactlyTheEncodedFramesInOrder() throws IOException {
        MessageStore[] msgs = batch();
        FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(1, null, -1);
        FrameWriter writer = new FrameWriter(ch);
        writer.write(msgs, msgs.length);
        byte[] expected = expectedBytes(msgs, msgs.length);
        assertArrayEquals(expected, ch.bytes(), "§1.7: header, text headers, body per frame, resuming after partial writes");
        assertEquals(expected.length, ch.calls(), "a 1-byte channel needs one call per byte");
        assertEquals(msgs.length, writer.completed(), "§1.7: every frame fully written");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomSmallPartialWritesStillProduceExactlyTheEncodedFrames(long seed) throws IOException {
        MessageStore[] msgs = batch();
        FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(1 + (int) seed * 3, new Random(seed), -1);
        FrameWriter writer = new FrameWriter(ch);
        writer.write(msgs, msgs.length);
        assertArrayEquals(expectedBytes(msgs, msgs.length), ch.bytes(), "§1.7: partial writes are resumed");
        assertEquals(msgs.length, writer.completed(), "§1.7: every frame fully written");
    }

    @Test
    void consecutiveBatchesOnOneWriterFollowEachOther() throws IOException {
        MessageStore[] msgs = batch();
        FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(1000, null, -1);
        FrameWriter writer = new FrameWriter(ch);
        writer.write(msgs, 2);
        assertEquals(2, writer.completed(), "completed() counts the last batch only");
        writer.write(new MessageStore[] {msgs[2], msgs[3], msgs[4], msgs[5]}, 4);
        assertEquals(4, writer.completed(), "completed() counts the last batch only");
        assertArrayEquals(expectedBytes(msgs, msgs.length), ch.bytes(), "§1.7: per channel, frames leave in post order");
    }

    @Test
    void completedCountsOnlyFramesFullyWrittenBeforeTheChannelFails() {
        MessageStore[] msgs = batch();
        int[] ends = new int[msgs.length];
        int total = 0;
        for (int i = 0; i < msgs.length; i++) {
            total += FrameWriter.encode(msgs[i]).length;
            ends[i] = total;
        }
        byte[] all = expectedBytes(msgs, msgs.length);
        Random r = new Random(99);
        int checked = 0;
        java.util.TreeSet<Integer> points = new java.util.TreeSet<>();
        for (int i = 0; i <= ends[3] + 20; i++) {
            points.add(i);                                   // every byte of the small frames
        }
        for (int end : ends) {
            for (int d = -20; d <= 20; d++) {
                points.add(Math.max(0, Math.min(total - 1, end + d)));   // around each frame boundary
            }
        }
        for (int i = 0; i < total; i += 997) {
            points.add(i);                                   // inside the 64 KiB body
        }
        for (int failAfter : points) {
            int expected = 0;
            while (expected < ends.length && ends[expected] <= failAfter) {
                expected++;
            }
            FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(1 + r.nextInt(50), r, failAfter);
            FrameWriter writer = new FrameWriter(ch);
            int at = failAfter;
            assertThrows(IOException.class, () -> writer.write(msgs, msgs.length),
                    () -> "the channel's IOException reaches the caller (fail after " + at + " bytes)");
            assertEquals(expected, writer.completed(),
                    "§1.7/§5.6: frames completely written before an error after " + failAfter + " bytes");
            assertArrayEquals(java.util.Arrays.copyOf(all, failAfter), ch.bytes(), "bytes before the failure are the frames' prefix");
            checked++;
        }
        assertEquals(true, checked > 100, "the failure point was swept");
    }

    @Test
    void failureOnTheVeryFirstWriteCompletesNothing() {
        MessageStore[] msgs = batch();
        FrameWriter writer = new FrameWriter(new FakeChannels.CappedWriter(1, null, 0));
        assertThrows(IOException.class, () -> writer.write(msgs, 3), "the channel's IOException reaches the caller");
        assertEquals(0, writer.completed(), "no frame completed");
    }

    @Test
    void emptyBatchWritesNothing() throws IOException {
        FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(1, null, -1);
        FrameWriter writer = new FrameWriter(ch);
        writer.write(new MessageStore[0], 0);
        assertEquals(0, ch.bytes().length, "nothing to write");
        assertEquals(0, writer.completed(), "nothing completed");
    }

    @Test
    void batchLargerThanTheMaximumIsRejected() {
        MessageStore[] many = new MessageStore[FrameWriter.MAX_BATCH + 1];
        for (int i = 0; i < many.length; i++) {
            many[i] = store(new dev.tofu.Message().channel(1));
        }
        FrameWriter writer = new FrameWriter(new FakeChannels.CappedWriter(1, null, -1));
        assertThrows(IllegalArgumentException.class, () -> writer.write(many, many.length), "MAX_BATCH frames per call");
    }

    @Test
    void fullBatchOfTinyFramesIsWrittenInOrder() throws IOException {
        MessageStore[] many = new MessageStore[FrameWriter.MAX_BATCH];
        for (int i = 0; i < many.length; i++) {
            many[i] = store(new dev.tofu.Message().opCode(OpCode.SIGNAL).channel(i + 1).messageId(i + 1));
        }
        FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(7, null, -1);
        FrameWriter writer = new FrameWriter(ch);
        writer.write(many, many.length);
        assertArrayEquals(expectedBytes(many, many.length), ch.bytes(), "§1.7: frames leave in post order");
        assertEquals(FrameWriter.MAX_BATCH, writer.completed(), "all frames completed");
    }

    @Test
    void aBatchOfSmallFramesLeavesInOneWriteAndTheStagingBufferIsGivenBack() throws IOException {
        StagingBuffers staging = new StagingBuffers(FrameWriter.DEFAULT_STAGING, 2);
        MessageStore[] many = new MessageStore[FrameWriter.MAX_BATCH];
        for (int i = 0; i < many.length; i++) {
            many[i] = store(new dev.tofu.Message().opCode(OpCode.REQUEST).channel(7).messageId(i + 1));
            v(many[i]).body().append(new byte[64]);
        }
        FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(Integer.MAX_VALUE, null, -1);
        FrameWriter writer = new FrameWriter(ch, staging);
        writer.write(many, many.length);
        assertArrayEquals(expectedBytes(many, many.length), ch.bytes(), "§1.7: frames in order");
        assertEquals(1, ch.calls(), "64 small frames are staged into one buffer and leave in one call");
        assertEquals(1, staging.idleCount(), "the staging buffer is given back when the call returns");

        FrameWriter failing = new FrameWriter(new FakeChannels.CappedWriter(100, null, 500), staging);
        assertThrows(IOException.class, () -> failing.write(many, many.length), "the channel's error reaches the caller");
        assertEquals(500 / (16 + 64), failing.completed(), "frames wholly before the failure");
        assertEquals(1, staging.idleCount(), "the staging buffer is given back after a failure too");
    }

    @Test
    void aLargeSectionLeavesFromTheMessageTogetherWithTheStagedBytesBeforeIt() throws IOException {
        MessageStore big = store(new dev.tofu.Message().opCode(OpCode.RESPONSE).channel(3).messageId(9));
        v(big).headers().append("k", "v");
        byte[] body = new byte[FrameWriter.LARGE_SECTION * 10];
        new Random(5).nextBytes(body);
        v(big).body().append(body);
        MessageStore small = store(new dev.tofu.Message().opCode(OpCode.SIGNAL).channel(3).messageId(10));
        v(small).body().append(new byte[] {1, 2, 3});
        MessageStore[] msgs = {small, big, small};
        FakeChannels.CappedWriter ch = new FakeChannels.CappedWriter(Integer.MAX_VALUE, null, -1);
        FrameWriter writer = new FrameWriter(ch);
        writer.write(msgs, 3);
        assertArrayEquals(expectedBytes(msgs, 3), ch.bytes(), "§1.7: exact bytes, in order");
        assertEquals(2, ch.calls(), "one gathering write up to and with the large body, one for what follows it");
    }

    @Test
    void stagingBuffersAreReusedAndTheIdleOnesBounded() {
        StagingBuffers staging = new StagingBuffers(64, 2);
        java.nio.ByteBuffer a = staging.borrow();
        java.nio.ByteBuffer b = staging.borrow();
        java.nio.ByteBuffer c = staging.borrow();
        assertEquals(true, a.isDirect() && a.capacity() == 64, "direct buffers of the pool's size");
        a.put((byte) 1);
        staging.giveBack(a);
        staging.giveBack(b);
        staging.giveBack(c);
        assertEquals(2, staging.idleCount(), "at most maxIdle idle buffers; the third goes to the collector");
        java.nio.ByteBuffer again = staging.borrow();
        assertEquals(true, again == a || again == b, "an idle buffer is lent again");
        assertEquals(0, again.position(), "lent cleared");
        assertEquals(64, again.remaining(), "lent cleared");
        staging.clear();
        assertEquals(0, staging.idleCount(), "clear lets go of the idle buffers");
    }

    @Test
    void lengthsOnTheWireAreTheActualSectionLengths() {
        MessageStore m = store(new dev.tofu.Message().opCode(OpCode.REQUEST).channel(1));
        v(m).headers().append("abc", "de");
        v(m).body().append(new byte[300]);
        byte[] frame = FrameWriter.encode(m);
        FrameHeader h = new FrameHeader().decode(frame, 0);
        assertEquals(8, h.thl, "§1.7: thl set from the actual section length");
        assertEquals(300, h.bl, "§1.7: bl set from the actual section length");
        assertEquals(16 + 8 + 300, frame.length, "§1.1: frame = header + thl + bl");
    }

    @Test
    void writerSendsTheSendersOwnChannelNumberAndClearsOrigin() {
        MessageStore m = store(new dev.tofu.Message().opCode(OpCode.REQUEST).channel(0x4321).origin(Origin.ENGINE).messageId(3));
        FrameHeader h = new FrameHeader().decode(FrameWriter.encode(m), 0);
        assertEquals(0x4321, h.channel, "§1.7: Java MUST write the sender's own channel number");
        assertEquals(false, h.originEngine(), "§1.3: origin written as 0");
    }

    @Test
    void encodeRejectsSectionsOverTheLimit() {
        MessageStore tooLong = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        v(tooLong).body().append(new byte[65536]);
        assertThrows(IllegalArgumentException.class, () -> FrameWriter.encode(tooLong), "§1.6: body limited to 65535 bytes");
        MessageStore tooManyHeaders = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        v(tooManyHeaders).headers().append("h", "x".repeat(65535));
        assertThrows(IllegalArgumentException.class, () -> FrameWriter.encode(tooManyHeaders),
                "§1.6: text-header section limited to 65535 bytes");
    }
}
