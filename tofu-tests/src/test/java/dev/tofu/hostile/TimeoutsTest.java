package dev.tofu.hostile;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The timeout options (Options.withHandshakeTimeout, withFrameTimeout, withIdleTimeout): off by
 * default (SlowPeersTest shows a stalled peer is kept), and when set, a peer that never speaks, stalls
 * mid-frame or goes quiet is closed with COMMUNICATION_FAILED within the timeout plus the watchdog's
 * quarter-timeout tick, its unsent messages returned, while every other channel keeps working.
 */
@Timeout(90)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class TimeoutsTest {
    private static final Duration T = Duration.ofMillis(600);
    /** Timeout + one watchdog tick + scheduling slack on a loaded 2-core machine. */
    private static final Duration LATEST = T.plus(T.dividedBy(4)).plusSeconds(5);

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aConnectionThatNeverSendsItsHelloIsClosedAfterTheHandshakeTimeout(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT.withHandshakeTimeout(T));
             HealthyClient healthy = new HealthyClient(server.clientAddress);
             Raw silent = Raw.connect(server.clientAddress);
             Raw prompt = Raw.connect(server.clientAddress)) {
            prompt.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 71, ""));
            assertEquals(OpCode.HELLO_RESPONSE.code(), prompt.readFrame(Wire.WAIT).proto(), "a prompt HelloRequest is answered");
            long start = System.nanoTime();
            assertTrue(silent.awaitPeerClose(LATEST), "the silent connection is closed within " + LATEST);
            long took = System.nanoTime() - start;
            assertTrue(took >= T.toNanos() / 2, "not closed before its time: " + Duration.ofNanos(took));
            Probe.awaitTrue(() -> server.closes(Status.COMMUNICATION_FAILED) == 1, Wire.WAIT,
                    "the close reason is COMMUNICATION_FAILED: " + server.reactor.stats().closeReasons());
            // the prompt peer's channel is not subject to the handshake timeout any more
            healthy.awaitMoreRounds(20);
            prompt.write(Raw.frame(1, OpCode.REQUEST.code(), 72, "still here"));
            assertEquals(72, prompt.readFrame(Wire.WAIT).messageId(), "a channel that said hello stays open");
            assertEquals(1, server.closes(Status.COMMUNICATION_FAILED), "only the silent connection was closed");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aPeerThatStopsMidFrameIsClosedAfterTheFrameTimeoutButAnIdlePeerIsNot(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT.withFrameTimeout(T));
             HealthyClient healthy = new HealthyClient(server.clientAddress);
             Raw stalled = Raw.connect(server.clientAddress);
             Raw idle = Raw.connect(server.clientAddress)) {
            for (Raw r : List.of(stalled, idle)) {
                r.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 81, ""));
                assertEquals(OpCode.HELLO_RESPONSE.code(), r.readFrame(Wire.WAIT).proto());
            }
            byte[] next = Raw.frame(1, OpCode.REQUEST.code(), 82, "never finished");
            stalled.write(Arrays.copyOf(next, next.length - 3)); // all but the last 3 body bytes
            assertTrue(stalled.awaitPeerClose(LATEST), "a half frame is given up within " + LATEST);
            Probe.awaitTrue(() -> server.closes(Status.COMMUNICATION_FAILED) == 1, Wire.WAIT, "closed with COMMUNICATION_FAILED");
            assertTrue(server.matching(e -> e.id() == 82).isEmpty(), "the partial frame never reached the application");
            healthy.awaitMoreRounds(20);
            // the idle peer has been quiet between frames for longer than T: still served
            idle.write(Raw.frame(1, OpCode.REQUEST.code(), 83, "after a pause"));
            assertEquals(83, idle.readFrame(Wire.WAIT).messageId(), "a frame timeout does not close idle channels");
            assertEquals(1, server.closes(Status.COMMUNICATION_FAILED));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aQuietPeerIsClosedAfterTheIdleTimeoutWhileOneWithTrafficStaysOpen(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT.withIdleTimeout(T));
             Raw quiet = Raw.connect(server.clientAddress);
             Raw chatty = Raw.connect(server.clientAddress)) {
            for (Raw r : List.of(quiet, chatty)) {
                r.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 91, ""));
                assertEquals(OpCode.HELLO_RESPONSE.code(), r.readFrame(Wire.WAIT).proto());
            }
            long start = System.nanoTime();
            // the chatty peer sends a heartbeat Signal every T/4 for 3 T
            long id = 100;
            while (System.nanoTime() - start < 3 * T.toNanos()) {
                chatty.write(Raw.frame(1, OpCode.SIGNAL.code(), ++id, "beat"));
                assertEquals(id, chatty.readFrame(Wire.WAIT).messageId(), "heartbeats are echoed: the channel is open");
                java.util.concurrent.locks.LockSupport.parkNanos(T.toNanos() / 4); // pacing, not synchronisation
            }
            assertTrue(quiet.awaitPeerClose(LATEST), "the quiet channel was closed");
            // the socket closes before the channel finishes and counts its reason: wait for the count
            Probe.awaitTrue(() -> server.closes(Status.COMMUNICATION_FAILED) >= 1, Wire.WAIT,
                    "the quiet channel's close is counted: " + server.reactor.stats().closeReasons());
            assertEquals(1, server.closes(Status.COMMUNICATION_FAILED), "exactly the quiet channel: " + server.reactor.stats().closeReasons());
            chatty.write(Raw.frame(1, OpCode.SIGNAL.code(), ++id, "beat"));
            assertEquals(id, chatty.readFrame(Wire.WAIT).messageId());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anIdleTimeoutReturnsEveryUnsentMessageWhenThePeerStopsReading(Transport t) throws Exception {
        // a peer that accepts and never reads nor writes: the client's writes stall, then its idle timeout fires
        try (StalledPeer peer = StalledPeer.open(t);
             Reactor client = Reactor.create(Options.of(16, 4096).withIdleTimeout(Duration.ofSeconds(1)))) {
            Ampe a = client.ampe();
            ChannelGroup g = a.create();
            int ch = Wire.hello(a, g, peer.clientAddress()).channel();
            int posted = 0;
            byte[] body = new byte[60_000];
            for (int i = 1; i <= 200; i++) { // 12 MB: more than the socket buffers hold
                Message m = a.get(AllocationStrategy.ALWAYS);
                m.opCode(OpCode.REQUEST).channel(ch).messageId(i).body().append(body);
                g.post(m);
                posted++;
            }
            List<Message> bundle = Wire.collectUntil(g, m -> Wire.isCloseSignal(m, ch));
            try {
                List<Message> returned = bundle.subList(0, bundle.size() - 1);
                assertFalse(returned.isEmpty(), "messages that could not be written come back");
                for (Message m : returned) {
                    assertEquals(Origin.ENGINE, m.origin());
                    assertEquals(Status.COMMUNICATION_FAILED, m.status(), "the reason is on every returned message: " + m);
                }
                long helloAndWritten = client.stats().messagesOut();
                assertEquals(posted + 1, helloAndWritten + returned.size(),
                        "every posted message was written or returned (written " + helloAndWritten + ", returned " + returned.size() + ")");
                long[] ids = returned.stream().mapToLong(Message::messageId).toArray();
                for (int i = 1; i < ids.length; i++) {
                    assertEquals(ids[i - 1] + 1, ids[i], "returned in post order");
                }
                assertEquals(posted, ids[ids.length - 1], "up to the last posted");
            } finally {
                Probe.closeAll(bundle);
            }
            NoLeaks.assertAtRest(client);
        }
    }

    @Test
    void timeoutOptionsRejectNegativeValuesAndAreOffByDefault() {
        assertEquals(Duration.ZERO, Options.DEFAULT.idleTimeout());
        assertEquals(Duration.ZERO, Options.DEFAULT.handshakeTimeout());
        assertEquals(Duration.ZERO, Options.DEFAULT.frameTimeout());
        assertEquals(Duration.ZERO, Options.DEFAULT.keepAlive());
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withIdleTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withHandshakeTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withFrameTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withKeepAlive(Duration.ofMillis(-1)));
        assertThrows(NullPointerException.class, () -> Options.DEFAULT.withIdleTimeout(null));
        Options o = Options.DEFAULT.withIdleTimeout(T).withKeepAlive(Duration.ofSeconds(5));
        assertEquals(T, o.idleTimeout());
        assertEquals(Duration.ofSeconds(5), o.keepAlive());
        assertEquals(o, Options.DEFAULT.withKeepAlive(Duration.ofSeconds(5)).withIdleTimeout(T), "equal by value");
        assertFalse(o.equals(Options.DEFAULT), "a timeout makes options differ");
        assertTrue(o.toString().contains("idleTimeout=PT0.6S"), o.toString());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void keepAliveOptionKeepsChannelsWorkingAndTimeoutsStopWithTheReactor(Transport t) throws Exception {
        Options o = Options.DEFAULT.withKeepAlive(Duration.ofSeconds(2)).withIdleTimeout(Duration.ofSeconds(30));
        try (EchoServer server = new EchoServer(t, o);
             Reactor client = Reactor.create(o)) {
            Ampe a = client.ampe();
            ChannelGroup g = a.create();
            int ch = Wire.hello(a, g, server.clientAddress).channel();
            Message hr = Wire.await(g, m -> m.channel() == ch);
            assertEquals(OpCode.HELLO_RESPONSE, hr.opCode(), "keepalive options do not get in the way: " + hr);
            assertEquals(Status.SUCCESS, hr.status());
            hr.close();
            Wire.send(a, g, ch, OpCode.REQUEST, 5, "ping");
            Message r = Wire.await(g, m -> m.channel() == ch);
            assertEquals(5, r.messageId());
            r.close();
            Probe.byeSignal(a, g, ch);
            Probe.awaitCloseSignals(g, ch);
        }
        // NoLeaks (after the class) checks that the watchdog thread ended with its reactor
    }

    /** A listening socket that accepts connections and then neither reads nor writes. */
    record StalledPeer(ServerSocketChannel server, List<SocketChannel> accepted, Thread acceptor, dev.tofu.Address clientAddress)
            implements AutoCloseable {
        static StalledPeer open(Transport t) throws Exception {
            ServerSocketChannel s;
            dev.tofu.Address address;
            if (t == Transport.TCP) {
                s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                address = dev.tofu.Address.tcpClient("127.0.0.1", ((InetSocketAddress) s.getLocalAddress()).getPort());
            } else {
                java.nio.file.Path p = Raw.freshUdsPath();
                s = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX).bind(java.net.UnixDomainSocketAddress.of(p));
                address = dev.tofu.Address.udsClient(p);
            }
            List<SocketChannel> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofVirtual().name("stalled-peer").start(() -> {
                try {
                    while (true) {
                        accepted.add(s.accept());
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            });
            return new StalledPeer(s, accepted, acceptor, address);
        }

        @Override
        public void close() throws Exception {
            java.net.SocketAddress local = server.getLocalAddress();
            server.close();
            for (SocketChannel c : accepted) {
                c.close();
            }
            acceptor.join(Wire.WAIT);
            if (local instanceof java.net.UnixDomainSocketAddress u) {
                java.nio.file.Files.deleteIfExists(u.getPath());
            }
        }
    }
}
