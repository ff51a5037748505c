package dev.tofu.hostile;

import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Status;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed input from raw peers (PROTOCOL.md §1.7, §1.8, §5.5.3, §5.6): garbage, frames whose
 * lengths promise more bytes than ever arrive, a close in the middle of a header or a section, an
 * abortive reset mid-body, forbidden opcodes, and non-zero status bytes. Each bad channel closes
 * with the close reason the spec names (read from {@code ReactorStats.closeReasons()}, since the
 * close Signal itself always says channel_closed), its group gets exactly one close Signal, and a
 * healthy client on the same listener keeps echoing the whole time.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class MalformedFramesTest {

    /** Connects a raw peer, sends a HelloRequest frame with {@code id}, returns the server's channel for it. */
    private static int introduce(EchoServer server, Raw raw, long id) throws IOException {
        raw.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), id, ""));
        return server.await(e -> e.id() == id && e.op() == OpCode.HELLO_REQUEST, Wire.WAIT, "HelloRequest " + id).channel();
    }

    private static void assertClosedOnce(EchoServer server, int channel, long channelId, String spec) {
        EchoServer.Event close = server.await(e -> e.isCloseSignal() && e.channel() == channel, Wire.WAIT,
                spec + ": close Signal for channel " + channel);
        assertEquals(channelId, close.id(), "§5.6: the close Signal carries the first frame's message id");
        assertEquals(1, server.matching(e -> e.isCloseSignal() && e.channel() == channel).size(),
                "§5.6: exactly one close Signal per channel");
    }

    private static byte[] header(int proto, long id, int thl, int bl) {
        return ByteBuffer.allocate(16).putShort((short) 9).put((byte) proto).put((byte) 0).putLong(id)
                .putShort((short) thl).putShort((short) bl).array();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aBodyThatPromises65535BytesButEndsAfter10ClosesWithPeerDisconnected(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            healthy.awaitMoreRounds(5);
            long before = server.closes(Status.PEER_DISCONNECTED);
            int ch;
            try (Raw raw = Raw.connect(server.clientAddress)) {
                ch = introduce(server, raw, 9001);
                raw.write(header(OpCode.REQUEST.code(), 9002, 0, 65535));
                raw.write(new byte[10]);
                healthy.awaitMoreRounds(20); // the truncated frame does not disturb the other channel
            }
            assertClosedOnce(server, ch, 9001, "§1.8: end of stream inside a frame");
            assertEquals(before + 1, server.closes(Status.PEER_DISCONNECTED),
                    "§1.8 / §9 item 10: EOF mid-frame closes the channel with reason peer_disconnected");
            assertTrue(server.matching(e -> e.id() == 9002).isEmpty(), "§1.8: the partial frame is discarded");
            healthy.awaitMoreRounds(20);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aCloseInsideTheHeaderOrTheTextHeadersClosesWithPeerDisconnected(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            long before = server.closes(Status.PEER_DISCONNECTED);
            int half;
            int midHeaders;
            try (Raw a = Raw.connect(server.clientAddress); Raw b = Raw.connect(server.clientAddress)) {
                half = introduce(server, a, 9101);
                midHeaders = introduce(server, b, 9201);
                a.write(java.util.Arrays.copyOf(header(OpCode.REQUEST.code(), 9102, 0, 0), 7)); // 7 of 16 header bytes
                b.write(header(OpCode.REQUEST.code(), 9202, 100, 5));
                b.write("k: v\r\nonly thirty bytes here..".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                healthy.awaitMoreRounds(10);
            }
            assertClosedOnce(server, half, 9101, "§1.8: EOF inside the binary header");
            assertClosedOnce(server, midHeaders, 9201, "§1.8: EOF inside the text headers");
            assertEquals(before + 2, server.closes(Status.PEER_DISCONNECTED), "§9 item 10: EOF → peer_disconnected");
            assertTrue(server.matching(e -> e.id() == 9102 || e.id() == 9202).isEmpty(), "§1.8: partial frames discarded");
            healthy.awaitMoreRounds(20);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anAbortiveResetInTheMiddleOfABodyClosesWithPeerDisconnected(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            long before = server.closes(Status.PEER_DISCONNECTED);
            SocketChannel s = SocketChannel.open(Raw.socketAddress(server.clientAddress));
            Raw raw = Raw.of(s);
            int ch = introduce(server, raw, 9301);
            raw.write(header(OpCode.REQUEST.code(), 9302, 0, 4000));
            raw.write(new byte[1000]);
            if (t == Transport.TCP) {
                s.setOption(StandardSocketOptions.SO_LINGER, 0); // close = RST
            }
            s.close();
            assertClosedOnce(server, ch, 9301, "§5.5.3: reset mid-body");
            assertEquals(before + 1, server.closes(Status.PEER_DISCONNECTED), "§9 item 10: reset → peer_disconnected");
            healthy.awaitMoreRounds(20);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aForbiddenOpcodeAfterValidFramesClosesWithRecvFailedAndResetsTheSocket(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            long before = server.closes(Status.RECV_FAILED);
            try (Raw raw = Raw.connect(server.clientAddress)) {
                int ch = introduce(server, raw, 9401);
                raw.write(Raw.frame(1, 0x0E, 9402, "bad opcode 14"));
                assertClosedOnce(server, ch, 9401, "§1.8: opcode 14");
                assertTrue(raw.awaitPeerClose(Wire.WAIT), "§1.8: the engine closes the socket");
            }
            assertEquals(before + 1, server.closes(Status.RECV_FAILED), "§1.8: a protocol violation closes with recv_failed");
            assertTrue(server.matching(e -> e.id() == 9402).isEmpty(), "§1.8: the bad frame is not delivered");
            healthy.awaitMoreRounds(20);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void garbageWhoseFirstHeaderHasABadOpcodeClosesWithRecvFailed(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            long before = server.closes(Status.RECV_FAILED);
            byte[] garbage = new byte[4096];
            new Random(42).nextBytes(garbage);
            garbage[2] = (byte) ((garbage[2] & 0xF0) | 0x0B); // opcode 11
            try (Raw raw = Raw.connect(server.clientAddress)) {
                raw.write(garbage);
                assertTrue(raw.awaitPeerClose(Wire.WAIT), "§1.8: the engine closes a channel that sends opcode 11");
            }
            server.await(e -> e.isCloseSignal() && e.id() == 0 && e.channel() != server.listenerChannel, Wire.WAIT,
                    "§5.4 step 4: close Signal (id 0: no frame was accepted)");
            assertEquals(before + 1, server.closes(Status.RECV_FAILED), "§1.8: recv_failed");
            healthy.awaitMoreRounds(20);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void randomGarbageFromManyPeersClosesEachOfThemOnceAndNothingElse(Transport t) throws Exception {
        int peers = 30;
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            int healthyCloses = server.matching(EchoServer.Event::isCloseSignal).size();
            Random random = new Random(7);
            for (int i = 0; i < peers; i++) {
                byte[] garbage = new byte[1 + random.nextInt(3000)];
                random.nextBytes(garbage);
                SocketChannel s = SocketChannel.open(Raw.socketAddress(server.clientAddress));
                Raw.of(s).write(garbage);
                if (t == Transport.TCP && random.nextBoolean()) {
                    s.setOption(StandardSocketOptions.SO_LINGER, 0);
                }
                s.close();
            }
            Set<Status> allowed = Set.of(Status.PEER_DISCONNECTED, Status.RECV_FAILED, Status.CHANNEL_CLOSED);
            dev.tofu.testing.Probe.awaitTrue(() -> server.matching(EchoServer.Event::isCloseSignal).size() >= healthyCloses + peers,
                    Wire.WAIT, "§5.6: one close Signal per garbage peer");
            healthy.awaitMoreRounds(20);
            List<EchoServer.Event> closes = server.matching(EchoServer.Event::isCloseSignal);
            assertEquals(peers, closes.size() - healthyCloses, "§5.6: exactly one close Signal per garbage peer: " + closes);
            assertEquals(peers, closes.stream().map(EchoServer.Event::channel).distinct().count(),
                    "§5.1: every garbage peer had a channel of its own");
            long byAllowed = server.reactor.stats().closeReasons().entrySet().stream()
                    .filter(e -> allowed.contains(e.getKey())).mapToLong(java.util.Map.Entry::getValue).sum();
            assertEquals(peers, byAllowed, "§1.8 / §5.5.3: closed for EOF/reset (peer_disconnected), a bad opcode (recv_failed)"
                    + " or a received ByeResponse/ByeSignal frame (channel_closed); reasons: " + server.reactor.stats().closeReasons());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void nonZeroStatusAndReservedBitsPassThroughAndTheChannelStaysOpen(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            try (Raw raw = Raw.connect(server.clientAddress)) {
                int ch = introduce(server, raw, 9501);
                raw.readFrame(Wire.WAIT); // the HelloResponse
                raw.write(Raw.frame(1, 0xC0 | OpCode.REQUEST.code(), Status.PROCESSING_FAILED.code(), 9502, new byte[0], "a".getBytes()));
                raw.write(Raw.frame(1, OpCode.REQUEST.code(), 200, 9503, new byte[0], "b".getBytes()));
                EchoServer.Event a = server.await(e -> e.id() == 9502, Wire.WAIT, "frame with status 30");
                EchoServer.Event b = server.await(e -> e.id() == 9503, Wire.WAIT, "frame with status 200");
                assertEquals(Status.PROCESSING_FAILED, a.status(), "§1.8: status passed through unchanged");
                assertEquals(Status.UNKNOWN_ERROR, b.status(), "§3: raw 200 maps to unknown_error");
                assertEquals(ch, a.channel());
                assertEquals(OpCode.REQUEST, a.op(), "§1.3: bits 6-7 ignored on receipt");
                Raw.Frame ra = raw.readFrame(Wire.WAIT);
                Raw.Frame rb = raw.readFrame(Wire.WAIT);
                assertEquals(9502, ra.messageId(), "the channel still works: the echo comes back");
                assertEquals(0, ra.status(), "§1.7: status 0 on the wire whatever was received");
                assertEquals(9503, rb.messageId());
                assertTrue(server.matching(e -> e.isCloseSignal() && e.channel() == ch).isEmpty(),
                        "§1.8: a non-zero status is no reason to close");
            }
            healthy.awaitMoreRounds(10);
        }
    }
}
