package dev.tofu.hostile;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.Net;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Listener faults (PROTOCOL.md §4, §5.2, §5.6): a TCP port already taken, a UDS path in a missing
 * directory or too long, a stale socket file from a crashed run, and a listener closed while clients
 * keep connecting.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ListenerFaultsTest {

    /** Posts a WelcomeRequest for {@code address}; returns the failure bundle up to the close Signal. */
    private static List<Message> listenExpectingFailure(Ampe ampe, ChannelGroup g, Address address) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        address.format(m);
        int ch = g.post(m).channel();
        return Wire.collectUntil(g, x -> Wire.isCloseSignal(x, ch));
    }

    private static void assertListenFailed(List<Message> bundle, Status status, String spec) {
        assertEquals(2, bundle.size(), spec + ": WelcomeResponse then close Signal: " + bundle);
        Message w = bundle.get(0);
        assertEquals(OpCode.WELCOME_RESPONSE, w.opCode(), spec);
        assertEquals(Origin.ENGINE, w.origin(), "§5.2: a failed WelcomeResponse has origin engine");
        assertEquals(status, w.status(), spec);
        Probe.closeAll(bundle);
    }

    @Test
    void aTcpPortHeldByAPlainServerSocketGivesListenFailed() throws Exception {
        try (ServerSocket taken = new ServerSocket(); Reactor r = Reactor.create(Options.DEFAULT)) {
            taken.setReuseAddress(false); // and no SO_REUSEPORT: the port is really taken
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            ChannelGroup g = r.ampe().create();
            assertListenFailed(listenExpectingFailure(r.ampe(), g, Address.tcpServer("127.0.0.1", taken.getLocalPort())),
                    Status.LISTEN_FAILED, "§5.2 / §3: bind error → listen_failed");
            assertFalse(taken.isClosed(), "the other socket is untouched");
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void aUdsPathInAMissingDirectoryGivesListenFailed() {
        Path dir = Path.of("/tmp", "tofu_missing_" + ProcessHandle.current().pid() + "_" + System.nanoTime());
        try (Reactor r = Reactor.create(Options.DEFAULT)) {
            ChannelGroup g = r.ampe().create();
            assertListenFailed(listenExpectingFailure(r.ampe(), g, Address.udsServer(dir.resolve("s.port"))),
                    Status.LISTEN_FAILED, "§5.2: UDS bind failure → listen_failed");
            assertFalse(Files.exists(dir), "nothing was created");
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void aUdsPathOverTheLimitIsRejectedByFormatAndByTheEngine() {
        String longPath = "/tmp/" + "x".repeat(Address.UDS_PATH_MAX_BYTES);
        try (Reactor r = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = r.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            TofuException e = assertThrows(TofuException.class, () -> Address.udsServer(Path.of(longPath)).format(m),
                    "§4: Java MUST reject UDS paths over 107 bytes");
            assertEquals(Status.WRONG_ADDRESS, e.status());
            assertDoesNotThrow(() -> m.messageId(1), "the message stays usable");
            // the same path smuggled in by hand reaches the engine's parser: invalid_address, asynchronously
            m.reset().opCode(OpCode.WELCOME_REQUEST);
            m.headers().append(Address.LISTEN_ON, "uds|" + longPath);
            int ch = g.post(m).channel();
            List<Message> bundle = Wire.collectUntil(g, x -> Wire.isCloseSignal(x, ch));
            assertListenFailed(bundle, Status.INVALID_ADDRESS, "§4: malformed address at processing time → invalid_address");
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void aStaleRegularFileAtTheUdsPathIsReplaced() throws Exception {
        Path p = Net.tempUdsPath();
        Files.writeString(p, "left over by a crashed run");
        try (EchoServer server = new EchoServer(Address.udsServer(p), Options.DEFAULT);
             HealthyClient c = new HealthyClient(server.clientAddress)) {
            c.awaitMoreRounds(5);
            assertEquals(Address.udsClient(p), server.clientAddress, "§4: bound at the requested path");
        }
        assertFalse(Files.exists(p), "§4: the socket file is removed when the listener closes");
    }

    @Test
    void aDeadSocketFileFromACrashedRunIsReplaced() throws Exception {
        Path p = Net.tempUdsPath();
        ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        crashed.bind(UnixDomainSocketAddress.of(p));
        crashed.close(); // the file stays, nobody listens
        assertTrue(Files.exists(p), "precondition: a dead socket file");
        try (EchoServer server = new EchoServer(Address.udsServer(p), Options.DEFAULT);
             HealthyClient c = new HealthyClient(server.clientAddress)) {
            c.awaitMoreRounds(5);
        }
        assertFalse(Files.exists(p));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void closingTheListenerWhileFiftyClientsConnectInALoopNeitherHangsNorLeaks(Transport t) throws Exception {
        int clients = 50;
        Set<Status> allowed = Set.of(Status.CONNECT_FAILED, Status.UDS_PATH_NOT_FOUND, Status.PEER_DISCONNECTED);
        Set<Status> ending = Set.of(Status.CONNECT_FAILED, Status.UDS_PATH_NOT_FOUND);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicInteger successes = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger resets = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); Reactor cr = Reactor.create(Options.of(16, 1024))) {
            Ampe ca = cr.ampe();
            var closed = new java.util.concurrent.atomic.AtomicBoolean();
            Thread[] threads = new Thread[clients];
            for (int i = 0; i < clients; i++) {
                threads[i] = Thread.ofVirtual().name("connect-loop-" + i).start(() -> {
                    ChannelGroup g = ca.create();
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    try {
                        while (System.nanoTime() < deadline) {
                            boolean listenerWasClosed = closed.get();
                            int ch = Wire.hello(ca, g, server.clientAddress).channel();
                            // a pool_empty notice for ch is put back by Wire.await (§6.6: that refills the pool)
                            Message m = Wire.await(g, x -> x.channel() == ch && x.status() != Status.POOL_EMPTY);
                            if (m.origin() == Origin.APPLICATION && m.opCode() == OpCode.HELLO_RESPONSE) {
                                successes.incrementAndGet();
                                m.close();
                                Probe.byeSignal(ca, g, ch);
                                Probe.awaitCloseSignals(g, ch);
                                continue;
                            }
                            Status s = m.status();
                            boolean closeSignal = Wire.isCloseSignal(m, ch);
                            m.close();
                            if (closeSignal) {
                                resets.incrementAndGet(); // connected, then reset before any answer
                                continue;
                            }
                            if (!allowed.contains(s)) {
                                problems.add("unexpected status " + s + " for " + ch);
                            }
                            failures.incrementAndGet();
                            Probe.awaitCloseSignals(g, ch);
                            if (listenerWasClosed && ending.contains(s)) {
                                ended.incrementAndGet();
                                return;
                            }
                        }
                        problems.add("no connect failure within 30 s after the listener closed");
                    } catch (Throwable e) {
                        problems.add(String.valueOf(e));
                    } finally {
                        ca.destroy(g);
                    }
                });
            }
            Probe.awaitTrue(() -> successes.get() >= clients, Wire.WAIT, "clients connect while the listener is open");
            server.closeListener(); // ByeSignal while the loops keep connecting
            closed.set(true);
            for (Thread th : threads) {
                assertTrue(th.join(Duration.ofSeconds(40)), "no client hangs");
            }
            assertTrue(problems.isEmpty(), "§5.3 / §5.5.3: every attempt ends in success, connect_failed"
                    + " (uds_path_not_found for a removed socket file) or peer_disconnected: " + problems);
            assertEquals(clients, ended.get(), "every client saw the listener gone");
            assertTrue(successes.get() >= clients);
            if (t == Transport.UDS) {
                assertFalse(Files.exists(Path.of(((Address.UdsClient) server.clientAddress).path())), "§5.2: UDS file removed");
            }
            Probe.awaitTrue(() -> server.reactor.stats().openChannels() == 0, Wire.WAIT,
                    "every server channel closed: " + server.reactor.stats());
            NoLeaks.assertAtRest(cr);
        }
    }
}
