package dev.tofu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Message} and {@link Body} while the application builds a message (API.md, PROTOCOL.md §1.6, §6.2). */
class MessageTest {

    private static final BinaryHeader ALL_ZERO =
            new BinaryHeader(0, OpCode.REQUEST, Origin.APPLICATION, false, Status.SUCCESS, 0);

    @Test
    void aNewMessageIsAnEmptyRequestOnChannelZero() {
        assertIsReset(new Message(), "new Message()");
    }

    @Test
    void resetClearsTheBinaryHeaderTheTextHeadersAndTheBody() {
        Message m = dirty(new Message());
        Message returned = m.reset();
        assertSame(m, returned, "API.md: reset() returns the message");
        assertIsReset(m, "after reset()");
    }

    @Test
    void settersAreFluentAndGettersReadBackWhatWasSet() {
        Message m = new Message();
        assertSame(m, m.opCode(OpCode.BYE_RESPONSE), "API.md: fluent setters");
        assertSame(m, m.channel(65535), "API.md: fluent setters");
        assertSame(m, m.messageId(-1L), "API.md: fluent setters");
        assertSame(m, m.more(true), "API.md: fluent setters");
        assertSame(m, m.status(Status.PROCESSING_FAILED), "API.md: fluent setters");
        assertSame(m, m.origin(Origin.ENGINE), "API.md: fluent setters");

        assertSame(OpCode.BYE_RESPONSE, m.opCode(), "API.md: opCode()");
        assertEquals(65535, m.channel(), "API.md: channel() int 0..65535");
        assertEquals(-1L, m.messageId(), "API.md: messageId() is an unsigned 64-bit value held in a long");
        assertTrue(m.more(), "API.md: more()");
        assertTrue(m.hasMore(), "API.md: hasMore() == more()");
        assertSame(Status.PROCESSING_FAILED, m.status(), "API.md: status()");
        assertSame(Origin.ENGINE, m.origin(), "API.md: origin()");
        assertTrue(m.isFromEngine(), "API.md: isFromEngine() when origin is ENGINE");
    }

    @Test
    void headerIsAnImmutableSnapshotOfTheSixFields() {
        Message m = new Message().opCode(OpCode.SIGNAL).channel(7).messageId(99).more(true)
                .status(Status.CHANNEL_CLOSED).origin(Origin.ENGINE);
        BinaryHeader snapshot = m.header();
        assertEquals(new BinaryHeader(7, OpCode.SIGNAL, Origin.ENGINE, true, Status.CHANNEL_CLOSED, 99), snapshot,
                "API.md: header() holds channel, opCode, origin, more, status, messageId");

        m.channel(8).messageId(100).more(false);
        assertEquals(7, snapshot.channel(), "API.md: header() is an immutable snapshot");
        assertEquals(99, snapshot.messageId(), "API.md: header() is an immutable snapshot");
        assertTrue(snapshot.more(), "API.md: header() is an immutable snapshot");
        assertEquals(8, m.header().channel(), "API.md: a new snapshot shows the new value");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 65534, 65535})
    void channelAcceptsEveryValueFrom0To65535(int channel) {
        assertEquals(channel, new Message().channel(channel).channel(), "API.md: channel() (int 0..65535)");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65536, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void channelOutside0To65535IsRejected(int channel) {
        Message m = new Message().channel(5);
        assertThrows(IllegalArgumentException.class, () -> m.channel(channel), "API.md: channel() is int 0..65535");
        assertEquals(5, m.channel(), "a rejected channel leaves the old value");
    }

    @Test
    void moreFalseClearsTheFlag() {
        Message m = new Message().more(true).more(false);
        assertFalse(m.more(), "API.md: more(boolean)");
        assertFalse(m.hasMore(), "API.md: hasMore()");
    }

    @Test
    void originApplicationIsNotFromEngine() {
        Message m = new Message().origin(Origin.ENGINE).origin(Origin.APPLICATION);
        assertFalse(m.isFromEngine(), "API.md: isFromEngine() is false for origin APPLICATION");
    }

    // ---- Body -------------------------------------------------------------------------------------

    @Test
    void bodyAppendOfAWholeArrayAddsEveryByte() {
        Message m = new Message();
        m.body().append(bytes("Hello")).append(bytes(", tofu"));
        assertEquals(11, m.body().length(), "API.md: Body.length()");
        assertArrayEquals(bytes("Hello, tofu"), m.body().toByteArray(), "API.md: Body.append(byte[]) appends in order");
    }

    @Test
    void bodyAppendOfARangeAddsOnlyThatRange() {
        Message m = new Message();
        m.body().append(bytes("xxHELLOyy"), 2, 5);
        assertArrayEquals(bytes("HELLO"), m.body().toByteArray(), "API.md: Body.append(byte[], int, int)");
    }

    @Test
    void bodyAppendOfARangeOutsideTheArrayIsRejectedAndAddsNothing() {
        Message m = new Message();
        byte[] src = bytes("abc");
        assertThrows(IndexOutOfBoundsException.class, () -> m.body().append(src, 2, 5), "a range outside src");
        assertThrows(IndexOutOfBoundsException.class, () -> m.body().append(src, -1, 1), "a negative offset");
        assertEquals(0, m.body().length(), "a rejected append changes nothing");
    }

    @Test
    void bodyAppendOfAByteBufferTakesTheRemainingBytesAndAdvancesItsPosition() {
        ByteBuffer src = ByteBuffer.wrap(bytes("..payload.."));
        src.position(2).limit(9);
        Message m = new Message();
        m.body().append(src);
        assertArrayEquals(bytes("payload"), m.body().toByteArray(), "API.md: Body.append(ByteBuffer) takes remaining()");
        assertEquals(9, src.position(), "Body.append(ByteBuffer) advances the buffer's position to its limit");
        assertEquals(0, src.remaining(), "Body.append(ByteBuffer) consumes the buffer");
    }

    @Test
    void bodyAppendOfADirectByteBufferWorksToo() {
        ByteBuffer src = ByteBuffer.allocateDirect(4).put(bytes("abcd")).flip();
        Message m = new Message();
        m.body().append(src);
        assertArrayEquals(bytes("abcd"), m.body().toByteArray(), "API.md: Body.append(ByteBuffer)");
        assertFalse(src.hasRemaining(), "Body.append(ByteBuffer) advances the buffer's position to its limit");
    }

    @Test
    void asReadOnlyBufferShowsExactlyTheBody() {
        Message m = new Message();
        m.body().append(new byte[1000]).clear();
        m.body().append(bytes("abc"));
        ByteBuffer view = m.body().asReadOnlyBuffer();
        assertEquals(m.body().length(), view.remaining(), "API.md: asReadOnlyBuffer().remaining() equals length()");
        assertTrue(view.isReadOnly(), "API.md: asReadOnlyBuffer() is read-only");
        byte[] seen = new byte[view.remaining()];
        view.duplicate().get(seen);
        assertArrayEquals(bytes("abc"), seen, "asReadOnlyBuffer() shows the body's bytes");
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 1), "API.md: the view is read-only");
    }

    @Test
    void asReadOnlyBufferOfAnEmptyBodyHasNothingRemaining() {
        assertEquals(0, new Message().body().asReadOnlyBuffer().remaining(),
                "API.md + PROTOCOL.md §1.6: an empty body is an empty view");
    }

    @Test
    void copyToAnArrayCopiesExactlyTheBodyAtTheOffset() {
        Message m = new Message();
        m.body().append(new byte[1000]).clear(); // storage longer than the body: only the body is copied
        m.body().append(bytes("abc"));
        byte[] dst = bytes("0123456");
        assertEquals(3, m.body().copyTo(dst, 2), "copyTo returns length()");
        assertArrayEquals(bytes("01abc56"), dst, "the body lands at the offset, nothing else changes");
        dst[2] = 'X';
        assertArrayEquals(bytes("abc"), m.body().toByteArray(), "copyTo copies: the body is not shared");
    }

    @Test
    void copyToAnArrayTooSmallCopiesNothingAndSaysWhy() {
        Message m = new Message();
        m.body().append(bytes("abcd"));
        byte[] dst = bytes("xyz12");
        assertThrows(IndexOutOfBoundsException.class, () -> m.body().copyTo(dst, 2), "4 bytes do not fit from index 2 of 5");
        assertThrows(IndexOutOfBoundsException.class, () -> m.body().copyTo(dst, -1), "negative offset");
        assertArrayEquals(bytes("xyz12"), dst, "a refused copy leaves the array untouched");
        assertThrows(NullPointerException.class, () -> m.body().copyTo((byte[]) null, 0));
        assertEquals(0, new Message().body().copyTo(new byte[0], 0), "an empty body copies nothing, even into an empty array");
    }

    @Test
    void copyToABufferAdvancesItsPosition() {
        Message m = new Message();
        m.body().append(bytes("abc"));
        ByteBuffer dst = ByteBuffer.allocate(8).put((byte) 'z');
        assertEquals(3, m.body().copyTo(dst), "copyTo returns length()");
        assertEquals(4, dst.position(), "the position advances by length()");
        assertArrayEquals(bytes("zabc"), Arrays.copyOf(dst.array(), 4));
        ByteBuffer small = ByteBuffer.allocate(2);
        assertThrows(java.nio.BufferOverflowException.class, () -> m.body().copyTo(small));
        assertEquals(0, small.position(), "a refused copy leaves the buffer's position");
        assertThrows(ReadOnlyBufferException.class, () -> m.body().copyTo(ByteBuffer.allocate(8).asReadOnlyBuffer()));
    }

    @Test
    void toByteArrayReturnsACopy() {
        Message m = new Message();
        m.body().append(bytes("abc"));
        byte[] copy = m.body().toByteArray();
        copy[0] = 'X';
        assertArrayEquals(bytes("abc"), m.body().toByteArray(), "API.md: toByteArray() is a copy");
    }

    @Test
    void bodyClearEmptiesTheBody() {
        Message m = new Message();
        m.body().append(bytes("abc"));
        m.body().clear();
        assertEquals(0, m.body().length(), "API.md: Body.clear()");
    }

    @Test
    void bodiesOver65535BytesAreAcceptedWhileBuilding() {
        Message m = new Message();
        byte[] big = new byte[70_000];
        Arrays.fill(big, (byte) 7);
        m.body().append(big).append(new byte[] {1});
        assertEquals(70_001, m.body().length(), "API.md Sizes: Body accepts any size while a message is being built");
        assertEquals(70_001, m.body().asReadOnlyBuffer().remaining(), "API.md: remaining() equals length()");
    }

    @Test
    void textHeadersOver65535BytesAreAcceptedWhileBuilding() {
        Message m = new Message();
        m.headers().append("big", "v".repeat(70_000));
        assertTrue(m.headers().byteLength() > 65535, "API.md Sizes: TextHeaders accept any size while a message is being built");
    }

    @Test
    void textHeadersAreKeptInWireForm() {
        Message m = new Message();
        m.headers().append("a", "b");
        assertEquals(5, m.headers().byteLength(), "PROTOCOL.md §1.5: \"a:b\\r\\n\" is 5 bytes");
        assertEquals("b", m.headers().get("a"), "API.md: get(name) → first match");
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static Message dirty(Message m) {
        m.opCode(OpCode.HELLO_RESPONSE).channel(12).messageId(34).more(true)
                .status(Status.RECV_FAILED).origin(Origin.ENGINE);
        m.headers().append("k", "v");
        m.body().append(bytes("body"));
        return m;
    }

    static void assertIsReset(Message m, String when) {
        assertSame(OpCode.REQUEST, m.opCode(), when + ": PROTOCOL.md §6.2 header all-zero → opcode Request");
        assertEquals(0, m.channel(), when + ": PROTOCOL.md §6.2 channel 0");
        assertEquals(0, m.messageId(), when + ": PROTOCOL.md §6.2 message id 0");
        assertFalse(m.more(), when + ": PROTOCOL.md §6.2 more clear");
        assertSame(Status.SUCCESS, m.status(), when + ": PROTOCOL.md §6.2 status success");
        assertSame(Origin.APPLICATION, m.origin(), when + ": PROTOCOL.md §6.2 origin application");
        assertFalse(m.isFromEngine(), when + ": PROTOCOL.md §6.2 origin application");
        assertTrue(m.headers().isEmpty(), when + ": PROTOCOL.md §6.2 no headers");
        assertEquals(0, m.headers().byteLength(), when + ": PROTOCOL.md §6.2 no headers");
        assertEquals(0, m.body().length(), when + ": PROTOCOL.md §6.2 no body");
        assertEquals(ALL_ZERO, m.header(), when + ": PROTOCOL.md §6.2 header all-zero");
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
