package dev.tofu.e2e;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
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

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channel lifecycles over TCP and UDS (PROTOCOL.md §5.1–§5.4, §5.6; recipes R6–R11): failed
 * connects and listens, listener start, the connect handshake, and listener/client close.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EngineLifecycleTest {

    /** Posts {@code request} (a formatted Hello/WelcomeRequest) and checks the failure bundle of §5.3/§5.2. */
    private static void assertFailureBundle(Ampe ampe, ChannelGroup g, Consumer<Message> format, OpCode reply,
                                            Set<Status> allowed, String spec) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        format.accept(m);
        BinaryHeader h = g.post(m);
        List<Message> bundle = Wire.collectUntil(g, x -> Wire.isCloseSignal(x, h.channel()));
        assertEquals(2, bundle.size(), spec + ": failure reply then close Signal, nothing else: " + bundle);
        Message fail = bundle.get(0);
        assertEquals(reply, fail.opCode(), spec + ": the request comes back as " + reply + " (§9 items 9, 12)");
        assertEquals(Origin.ENGINE, fail.origin(), spec + ": failure has origin engine");
        assertTrue(allowed.contains(fail.status()), spec + ": status in " + allowed + ", got " + fail.status());
        assertEquals(h.channel(), fail.channel(), spec + ": same channel");
        assertEquals(h.messageId(), fail.messageId(), spec + ": same message id");
        Message close = bundle.get(1);
        assertEquals(h.messageId(), close.messageId(), "§5.6: close Signal carries the channel message id");
        Probe.closeAll(bundle);
    }

    @Test
    void helloToAnUnresolvableHostFailsWithInvalidAddressThenCloses() throws IOException {
        int port;
        try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            port = ((InetSocketAddress) s.getLocalAddress()).getPort();
        }
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            assertFailureBundle(ampe, g, m -> Address.tcpClient("tofu.server.zig", port).format(m),
                    OpCode.HELLO_RESPONSE, Set.of(Status.INVALID_ADDRESS), "R6 / §5.3");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void helloWithAMalformedAddressFailsWithInvalidAddressThenCloses(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            String bad = transport == Transport.TCP ? "tcp|127.0.0.1|99999" : "unix|/tmp/x";
            assertFailureBundle(ampe, g, m -> m.opCode(OpCode.HELLO_REQUEST).headers().append(Address.CONNECT_TO, bad),
                    OpCode.HELLO_RESPONSE, Set.of(Status.INVALID_ADDRESS), "§4 / §5.3: malformed address");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void helloWhereNobodyListensFailsWithConnectFailedThenCloses(Transport transport) throws IOException {
        Address target;
        Path stale = null;
        if (transport == Transport.TCP) {
            try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
                target = Address.tcpClient("127.0.0.1", ((InetSocketAddress) s.getLocalAddress()).getPort());
            }
        } else {
            stale = Raw.freshUdsPath(); // a socket file nobody listens on any more
            try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                s.bind(UnixDomainSocketAddress.of(stale));
            }
            target = Address.udsClient(stale);
        }
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            assertFailureBundle(ampe, g, target::format, OpCode.HELLO_RESPONSE,
                    Set.of(Status.CONNECT_FAILED), "R7 / §5.3: nobody listening");
            NoLeaks.assertAtRest(reactor);
        } finally {
            if (stale != null) {
                Files.deleteIfExists(stale);
            }
        }
    }

    @Test
    void udsHelloToAMissingPathFailsWithUdsPathNotFoundThenCloses() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Path missing = Raw.freshUdsPath();
            assertFailureBundle(ampe, g, m -> Address.udsClient(missing).format(m), OpCode.HELLO_RESPONSE,
                    Set.of(Status.UDS_PATH_NOT_FOUND), "§5.3 / §8: UDS connect to a missing path");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void listenOnAnAddressThatCannotBeBoundFailsThenCloses(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Address bad = transport == Transport.TCP
                    ? Address.tcpServer("192.128.4.5", 3298)
                    : Address.udsServer(Path.of("/nonexistent-dir-" + ProcessHandle.current().pid(), "x.port"));
            assertFailureBundle(ampe, g, bad::format, OpCode.WELCOME_RESPONSE,
                    Set.of(Status.LISTEN_FAILED, Status.INVALID_ADDRESS), "R8 / §5.2");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void welcomeResponseIsTheRequestAnsweredWithSuccessAndTheBoundAddress(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            transport.serverAddress().format(m);
            m.body().append(new byte[] {1, 2, 3});
            BinaryHeader h = g.post(m);
            Message w = g.waitReceive(Wire.WAIT);
            assertEquals(OpCode.WELCOME_RESPONSE, w.opCode(), "R9: opcode 9");
            assertEquals(9, w.opCode().code(), "R9: opcode 9");
            assertEquals(h.channel(), w.channel(), "R9: channel == post()'s channel");
            assertEquals(Status.SUCCESS, w.status(), "R9: status success");
            assertEquals(Origin.APPLICATION, w.origin(), "§5.2 / §9 item 12: success has origin application");
            assertEquals(h.messageId(), w.messageId(), "§5.2: same message id as the request");
            assertEquals(transport.serverAddress().value(), w.headers().get(Address.LISTEN_ON), "§5.2: the same message (text headers kept)");
            assertEquals(3, w.body().length(), "§5.2: the same message (body kept)");
            Address bound = Address.parse(w.headers().get(Address.BOUND_TO));
            Class<?> kind = transport == Transport.TCP ? Address.TcpClient.class : Address.UdsClient.class;
            assertTrue(kind.isInstance(bound),
                    "§9 item 25: ~bound_to names the bound address");
            if (bound instanceof Address.TcpClient tcp) {
                assertNotEquals(0, tcp.port(), "§9 item 25: the real port, not 0");
            } else {
                String path = ((Address.UdsClient) bound).path();
                assertFalse(path.isEmpty(), "§9 item 25: the real path");
                assertTrue(Files.exists(Path.of(path)), "§4: the UDS listener file exists while listening");
            }
            w.close();
            Probe.closeListener(ampe, g, h.channel());
            if (bound instanceof Address.UdsClient uds) {
                Probe.awaitTrue(() -> !Files.exists(Path.of(uds.path())), java.time.Duration.ofSeconds(2),
                        "§5.2 step 4 / §8: UDS listener file removed on close");
            }
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void emptyUdsListenPathCreatesAFreshFileEachTime() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener a = Wire.listen(ampe, g, Transport.UDS.serverAddress());
            Wire.Listener b = Wire.listen(ampe, g, Transport.UDS.serverAddress());
            String pa = ((Address.UdsClient) a.clientAddress()).path();
            String pb = ((Address.UdsClient) b.clientAddress()).path();
            assertNotEquals(pa, pb, "§4 / §8: an empty UDS listen path auto-creates a new file");
            assertTrue(Files.exists(Path.of(pa)) && Files.exists(Path.of(pb)), "§4: both files exist while listening");
            Probe.closeListener(ampe, g, a.channel());
            Probe.closeListener(ampe, g, b.channel());
            Probe.awaitTrue(() -> !Files.exists(Path.of(pa)) && !Files.exists(Path.of(pb)), java.time.Duration.ofSeconds(2),
                    "§5.2 step 4: UDS listener files removed on close");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void relisteningOnAUdsPathRightAfterTheCloseSignalKeepsTheNewListenersFile() throws IOException {
        Path path = Raw.freshUdsPath();
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, Address.udsServer(path));
            for (int round = 0; round < 20; round++) {
                Probe.closeListener(ampe, g, l.channel());
                l = Wire.listen(ampe, g, Address.udsServer(path));
                // §5.6: after the close Signal the old listener is gone; its clean-up must not remove the new file
                Raw connected;
                try {
                    connected = Raw.connect(l.clientAddress());
                } catch (IOException e) {
                    throw new AssertionError("§5.2 step 4 / §5.6: round " + round + ": the new listener's socket file was removed "
                            + "by the old listener's close, after its close Signal: " + e, e);
                }
                try (Raw raw = connected) {
                    assertTrue(Files.exists(path), "§5.2 step 4 / §5.6: round " + round + ": the new listener's file survives the old listener's close");
                }
                nextServerChannel(g); // the raw connection closed without a frame (§5.4 step 4)
            }
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        } finally {
            Files.deleteIfExists(path);
        }
    }

    /** Waits for the HelloRequest-less server channel a raw connect+close creates and returns its number. */
    private static int nextServerChannel(ChannelGroup g) {
        Message m = Wire.await(g, x -> x.opCode() == OpCode.SIGNAL && x.status() == Status.CHANNEL_CLOSED);
        int ch = m.channel();
        m.close();
        return ch;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void twoReactorsCanListenOnTheSameAddress(Transport transport) {
        try (Reactor r1 = Reactor.create(Options.DEFAULT); Reactor r2 = Reactor.create(Options.DEFAULT)) {
            ChannelGroup g1 = r1.ampe().create();
            ChannelGroup g2 = r2.ampe().create();
            Wire.Listener first = Wire.listen(r1.ampe(), g1, transport.serverAddress());
            Address same = switch (first.clientAddress()) {
                case Address.TcpClient tcp -> Address.tcpServer(tcp.host(), tcp.port());
                case Address.UdsClient uds -> Address.udsServer(Path.of(uds.path()));
                default -> throw new AssertionError();
            };
            // Wire.listen asserts status success (R10)
            Wire.Listener second = Wire.listen(r2.ampe(), g2, same);
            assertEquals(first.clientAddress(), second.clientAddress(), "R10: the second listener bound the same address");
            // the address is reachable
            int cch = Wire.hello(r2.ampe(), g2, second.clientAddress()).channel();
            // with SO_REUSEPORT the kernel may hand the connection to either listener
            boolean accepted = false;
            long deadline = System.nanoTime() + Wire.WAIT.toNanos();
            while (!accepted && System.nanoTime() < deadline) {
                for (ChannelGroup g : List.of(g1, g2)) {
                    Message m = g.waitReceive(java.time.Duration.ofMillis(20));
                    if (m != null) {
                        accepted |= m.opCode() == OpCode.HELLO_REQUEST;
                        m.close();
                    }
                }
            }
            assertTrue(accepted, "R10: the shared address accepts connections");
            Probe.byeSignal(r2.ampe(), g2, cch);
            Probe.awaitCloseSignals(g2, cch);
            Probe.closeListener(r2.ampe(), g2, second.channel());
            Probe.closeListener(r1.ampe(), g1, first.channel());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectInOneGroupKeepsChannelsAndIdsAndClosesCleanly(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            BinaryHeader ch = Wire.hello(ampe, g, l.clientAddress());
            int cch = ch.channel();
            Message hello = Wire.await(g, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            assertEquals(3, Set.of(l.channel(), cch, sch).size(), "R11 / §5.1: listener, client and server channels are distinct");
            assertEquals(ch.messageId(), hello.messageId(), "R11 / §5.4: the server sees the client's message id");
            assertEquals(Origin.APPLICATION, hello.origin(), "§5.4: origin application");
            assertEquals(l.clientAddress().value(), hello.headers().get(Address.CONNECT_TO),
                    "§5.4 / §8: the HelloRequest keeps the client's ~connect_to header");
            hello.opCode(OpCode.HELLO_RESPONSE);
            g.post(hello);
            Message hr = Wire.await(g, m -> m.opCode() == OpCode.HELLO_RESPONSE);
            assertEquals(cch, hr.channel(), "R11 / §5.3: HelloResponse arrives on the client's channel");
            assertEquals(ch.messageId(), hr.messageId(), "R11: HelloResponse keeps the client's message id");
            assertEquals(Origin.APPLICATION, hr.origin(), "§5.3: origin application");
            assertEquals(Status.SUCCESS, hr.status());
            hr.close();

            // ByeSignal on the listener: it comes back, then the close Signal; accepted channels stay open
            BinaryHeader lb = Probe.byeSignal(ampe, g, l.channel());
            List<Message> lbundle = Wire.collectUntil(g, m -> Wire.isCloseSignal(m, l.channel()));
            Message back = lbundle.get(lbundle.size() - 2);
            assertEquals(OpCode.BYE_SIGNAL, back.opCode(), "R11 / §5.2 step 4: the ByeSignal comes back");
            assertEquals(Origin.ENGINE, back.origin(), "§5.2 step 4: origin engine");
            assertEquals(Status.CHANNEL_CLOSED, back.status(), "R11 / §5.2 step 4: status channel_closed");
            assertEquals(lb.messageId(), back.messageId(), "§5.5.2: its own message id");
            assertEquals(l.channel(), back.channel());
            Probe.closeAll(lbundle);

            Wire.send(ampe, g, cch, OpCode.REQUEST, 31, "still open");
            Message req = Wire.await(g, m -> m.opCode() == OpCode.REQUEST);
            assertEquals(sch, req.channel(), "§5.2 step 4: accepted channels stay open after the listener closes");
            req.close();

            // ByeSignal on the client: both ends report channel_closed
            BinaryHeader cb = Probe.byeSignal(ampe, g, cch);
            List<Message> rest = Wire.collectUntil(g, m -> Wire.isCloseSignal(m, cch));
            Message cback = rest.stream().filter(m -> m.opCode() == OpCode.BYE_SIGNAL).findFirst().orElseThrow(
                    () -> new AssertionError("§5.5.2: the ByeSignal comes back: " + rest));
            assertEquals(cb.messageId(), cback.messageId());
            assertEquals(Status.CHANNEL_CLOSED, cback.status(), "R11 / §5.5.2");
            assertEquals(ch.messageId(), rest.get(rest.size() - 1).messageId(), "§5.6: client close Signal carries the Hello id");
            boolean serverClosed = rest.stream().anyMatch(m -> Wire.isCloseSignal(m, sch));
            Probe.closeAll(rest);
            if (!serverClosed) {
                Message sc = Wire.await(g, m -> Wire.isCloseSignal(m, sch));
                assertEquals(ch.messageId(), sc.messageId(), "§5.4 / §5.6: server close Signal carries the first frame's id");
                sc.close();
            }
            Probe.assertNothingMoreFor(g, sch, java.time.Duration.ofMillis(200), "§5.6");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void fiftyOpenChannelsHaveDistinctNumbersInRange(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            Set<Integer> numbers = new HashSet<>();
            numbers.add(l.channel());
            int clients = 24;
            int[] cch = new int[clients];
            for (int i = 0; i < clients; i++) {
                cch[i] = Wire.hello(ampe, client, l.clientAddress()).channel();
                assertTrue(numbers.add(cch[i]), "§5.1: client number " + cch[i] + " unique while open");
            }
            int[] sch = new int[clients];
            for (int i = 0; i < clients; i++) {
                Message h = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
                sch[i] = h.channel();
                h.close();
                assertTrue(numbers.add(sch[i]), "§5.1: server number " + sch[i] + " unique while open");
            }
            // one more listener: 50 channels open at once
            Wire.Listener l2 = Wire.listen(ampe, server, transport.serverAddress());
            assertTrue(numbers.add(l2.channel()), "§5.1: listener number unique while open");
            assertEquals(50, numbers.size());
            assertEquals(50, ((dev.tofu.internal.engine.Engine) ampe).openChannels(), "all 50 open");
            for (int n : numbers) {
                assertTrue(n >= 1 && n <= 65534, "§5.1: app channels use 1..65534, got " + n);
            }
            for (int c : cch) {
                Probe.byeSignal(ampe, client, c);
            }
            Probe.awaitCloseSignals(client, cch);
            Probe.awaitCloseSignals(server, sch);
            Probe.closeListener(ampe, server, l.channel());
            Probe.closeListener(ampe, server, l2.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }
}
