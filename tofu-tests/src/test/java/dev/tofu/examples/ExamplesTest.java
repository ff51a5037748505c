package dev.tofu.examples;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Reactor;
import dev.tofu.ReactorStats;
import dev.tofu.Server;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.recipes.EchoClient;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runnable examples of {@code dev.tofu.examples}, each run end to end and its result checked:
 * correlation by message id (R20), streaming with {@code more} both ways (R20), the graceful shutdown
 * sequence (R20, §6.9), the request/response layer, and a multi-homed echo server (R16/R17).
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ExamplesTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = new PinningGuard("tofu-client-");
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = new PinningGuard("tofu-server-");

    // ---- CorrelatingClient ----------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Transport.class)
    void correlatingClientMatchesResponsesThatArriveInReverseOrderByMessageId(Transport transport) throws Exception {
        List<String> bodies = IntStream.range(0, 40).mapToObj(i -> "req-" + i).toList();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create();
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            ChannelGroup server = serverReactor.ampe().create();
            Wire.Listener listener = Wire.listen(serverReactor.ampe(), server, transport.serverAddress());
            Future<Void> reverser = threads.submit(() -> answerAllInReverse(serverReactor.ampe(), server, bodies.size()));

            Map<String, String> answers = CorrelatingClient.callAll(clientReactor.ampe(), listener.clientAddress(), bodies);

            reverser.get();
            assertEquals(bodies.reversed(), List.copyOf(answers.keySet()),
                    "R20: the responses arrived in reverse order, so only the message id can have matched them");
            assertAll(bodies.stream().map(b -> () -> assertEquals("re:" + b, answers.get(b),
                    "R20: the pending entry found by message id is the request that was answered")));
            server.close();
            NoLeaks.assertAtRest(serverReactor);
            NoLeaks.assertAtRest(clientReactor);
        }
    }

    /** A test server: holds every request until {@code n} have come, answers them last-first, ends at the close Signal. */
    private static Void answerAllInReverse(Ampe ampe, ChannelGroup server, int n) {
        Deque<Message> held = new ArrayDeque<>();
        int answered = 0;
        while (true) {
            Message m = server.waitReceive(Wire.WAIT);
            assertNotNull(m, "the client keeps the exchange going");
            if (m.isFromEngine()) {
                boolean closed = m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED;
                if (m.status() == Status.POOL_EMPTY) {
                    ampe.put(new Message());                  // we hold n messages: grow the pool (§6.6)
                }
                m.close();
                if (closed) {
                    assertEquals(n, answered, "every request was answered");
                    return null;
                }
                continue;
            }
            switch (m.opCode()) {
                case HELLO_REQUEST, BYE_REQUEST -> server.post(m.opCode(m.opCode().echo()));
                case REQUEST -> {
                    held.push(m);
                    if (held.size() == n) {
                        while (!held.isEmpty()) {             // last-first: the reverse of the posting order
                            Message r = held.pop();
                            String body = new String(r.body().toByteArray(), StandardCharsets.UTF_8);
                            r.opCode(OpCode.RESPONSE).body().clear();
                            r.body().append(("re:" + body).getBytes(StandardCharsets.UTF_8));
                            server.post(r);
                            answered++;
                        }
                    }
                }
                default -> m.close();
            }
        }
    }

    // ---- FileTransfer ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Transport.class)
    void fileTransferUploadsAndDownloadsOneMebibyteIntact(Transport transport, @TempDir Path dir) throws Exception {
        assertTransferred(transport, dir, 1 << 20);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, FileTransfer.CHUNK, FileTransfer.CHUNK + 1, 3 * FileTransfer.CHUNK})
    void fileTransferHandlesEmptyOnePartAndExactMultipleFiles(int size, @TempDir Path dir) throws Exception {
        assertTransferred(Transport.TCP, dir, size);
    }

    private static void assertTransferred(Transport transport, Path dir, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        Path src = Files.write(dir.resolve("src.bin"), data);
        Path up = dir.resolve("uploaded.bin");
        Path down = dir.resolve("downloaded.bin");
        try (Reactor reactor = Reactor.create()) {
            long serverCrc = FileTransfer.run(reactor.ampe(), transport.serverAddress(), src, up, down);
            CRC32 expected = new CRC32();
            expected.update(data);
            assertAll(
                    () -> assertEquals(expected.getValue(), serverCrc, "R20: the one Response carries the CRC32 of the source"),
                    () -> assertEquals(-1, Files.mismatch(src, up), "R20: client→server stream with more: the stored file equals the source"),
                    () -> assertEquals(-1, Files.mismatch(src, down), "R20: server→client stream with more: the download equals the source"));
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void fileTransferMainRuns() throws Exception {
        FileTransfer.main(new String[0]);
    }

    // ---- GracefulShutdown -----------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Transport.class)
    void gracefulShutdownSeesEveryCloseSignalAndLeavesNothingBehind(Transport transport) {
        try (Reactor clients = Reactor.create(); ChannelGroup clientGroup = clients.ampe().create()) {
            Reactor reactor = Reactor.create();
            ChannelGroup server = reactor.ampe().create();
            Wire.Listener listener = Wire.listen(reactor.ampe(), server, transport.serverAddress());
            Set<Integer> clientChannels = connectClientsWithPendingRequests(clients.ampe(), clientGroup, listener.clientAddress(), 4);
            List<Integer> channels = new ArrayList<>(List.of(listener.channel()));
            channels.addAll(GracefulShutdown.accept(server, 4));

            List<Integer> closed = GracefulShutdown.closeAll(reactor.ampe(), server, channels);

            assertEquals(Set.copyOf(channels), Set.copyOf(closed), "R20/§5.6: one close Signal per channel, the listener's included");
            assertEquals(channels.size(), closed.size(), "R20/§5.6: exactly one close Signal per channel");
            NoLeaks.assertAtRest(reactor);                    // no channel open, every message back in the pool
            assertNull(server.waitReceive(java.time.Duration.ZERO), "§5.6: nothing follows the close Signals");
            server.close();
            reactor.close();
            assertThrows(TofuException.class, () -> reactor.ampe().create(), "§6.9: the reactor is closed");
            awaitCloseSignals(clientGroup, clientChannels);
            NoLeaks.assertAtRest(clients);
        }
    }

    @Test
    void gracefulShutdownClosesEveryChannelThroughItsBundleBeforeDestroyingTheGroup() {
        try (Reactor clients = Reactor.create(); ChannelGroup clientGroup = clients.ampe().create()) {
            Reactor reactor = Reactor.create();
            ChannelGroup server = reactor.ampe().create();
            Wire.Listener listener = Wire.listen(reactor.ampe(), server, Transport.TCP.serverAddress());
            Set<Integer> clientChannels = connectClientsWithPendingRequests(clients.ampe(), clientGroup, listener.clientAddress(), 3);
            List<Integer> channels = new ArrayList<>(List.of(listener.channel()));
            channels.addAll(GracefulShutdown.accept(server, 3));

            List<Integer> closed = GracefulShutdown.shutdown(reactor, server, channels);

            ReactorStats stats = reactor.stats();
            assertAll(
                    () -> assertEquals(Set.copyOf(channels), Set.copyOf(closed), "R20: every close Signal seen"),
                    () -> assertEquals(0, stats.openChannels(), "§6.9: nothing open after the shutdown"),
                    () -> assertNull(stats.closeReasons().get(Status.SHUTDOWN_STARTED),
                            "R20: no channel was left for the silent close of destroy/close: " + stats.closeReasons()),
                    () -> assertThrows(TofuException.class, () -> server.waitReceive(java.time.Duration.ZERO),
                            "§6.3: the group is destroyed"));
            awaitCloseSignals(clientGroup, clientChannels);
            NoLeaks.assertAtRest(clients);
        }
    }

    @Test
    void gracefulShutdownMainRuns() {
        GracefulShutdown.main(new String[0]);
    }

    /** Connects {@code n} clients, each posting a request the server never answers (drained by the shutdown). */
    private static Set<Integer> connectClientsWithPendingRequests(Ampe ampe, ChannelGroup group, Address address, int n) {
        Set<Integer> channels = new HashSet<>();
        for (int i = 0; i < n; i++) {
            int ch = Wire.hello(ampe, group, address).channel();
            Wire.send(ampe, group, ch, OpCode.REQUEST, 0, "never answered");   // queued behind the HelloRequest
            channels.add(ch);
        }
        return channels;
    }

    private static void awaitCloseSignals(ChannelGroup group, Set<Integer> channels) {
        Set<Integer> open = new HashSet<>(channels);
        Wire.collectUntil(group, m -> {
            if (m.isFromEngine() && m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED) {
                open.remove(m.channel());
            }
            return open.isEmpty();
        }).forEach(Message::close);
    }

    // ---- RpcQuickstart --------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Transport.class)
    void rpcQuickstartAnswersEveryCallerWithItsOwnResponse(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create()) {
            try (Server server = RpcQuickstart.startServer(reactor, transport.serverAddress());
                 Client client = Client.connect(reactor, server.addresses().get(0));
                 ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                assertEquals("hello, tofu", RpcQuickstart.greet(client, "tofu"), "the quickstart call");
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    String name = "caller-" + i;
                    answers.add(callers.submit(() -> RpcQuickstart.greet(client, name)));
                }
                for (int i = 0; i < answers.size(); i++) {
                    assertEquals("hello, caller-" + i, answers.get(i).get(), "Client: each caller gets the response with its own id");
                }
            }
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void rpcQuickstartMainRuns() {
        RpcQuickstart.main(new String[] {"a", "b"});
    }

    // ---- MultiHomedEchoServer -------------------------------------------------------------------

    @Test
    void multiHomedEchoServerAnswersClientsOfBothListenersOnOneThread() throws Exception {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            MultiHomedEchoServer server = new MultiHomedEchoServer(serverReactor.ampe(),
                    Transport.TCP.serverAddress(), Transport.UDS.serverAddress());
            List<Address> addresses = server.addresses();
            assertEquals(2, addresses.size(), "R16: one address per listener");
            assertTrue(addresses.get(0).value().startsWith("tcp|"), "R16: TCP first: " + addresses);
            assertTrue(addresses.get(1).value().startsWith("uds|"), "R16: then UDS: " + addresses);
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> echoes = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    Address at = addresses.get(i % 2);
                    String text = "ping-" + i;
                    echoes.add(clients.submit(() -> EchoClient.ping(clientReactor.ampe(), at, text)));
                }
                for (int i = 0; i < echoes.size(); i++) {
                    assertEquals("ping-" + i, echoes.get(i).get(), "R16: every client of either listener gets its echo");
                }
            }
            server.close();
            NoLeaks.assertAtRest(serverReactor);
            NoLeaks.assertAtRest(clientReactor);
        }
    }

    @Test
    void multiHomedEchoServerFailsCleanlyWhenAListenerCannotStart() {
        try (Reactor reactor = Reactor.create()) {
            TofuException e = assertThrows(TofuException.class, () -> new MultiHomedEchoServer(reactor.ampe(),
                    Transport.TCP.serverAddress(), Address.tcpServer("192.0.2.1", 0)));   // TEST-NET-1: not local
            assertTrue(e.status() == Status.LISTEN_FAILED || e.status() == Status.INVALID_ADDRESS, "R8: " + e.status());
            NoLeaks.assertAtRest(reactor);
        }
    }
}
