package dev.tofu.rpc;

import dev.tofu.Address;
import dev.tofu.Client;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.Net;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failures: channel loss wakes every caller, handler errors, rejects, connect failures, client close. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcFailureTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    private static final int WAITING = 50;

    enum Loss { SERVER_ABORT, SERVER_REACTOR_CLOSED }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void serverAbortWakesEveryWaitingCallerWithTheCloseReason(Transport transport) throws Exception {
        channelLossWakesEveryCaller(transport, Loss.SERVER_ABORT);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void serverReactorCloseWakesEveryWaitingCallerWithTheCloseReason(Transport transport) throws Exception {
        channelLossWakesEveryCaller(transport, Loss.SERVER_REACTOR_CLOSED);
    }

    private void channelLossWakesEveryCaller(Transport transport, Loss loss) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        Reactor serverReactor = Reactor.create();
        try (Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        entered.incrementAndGet();
                        Rpc.await(release);
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<TofuException>> failed = new ArrayList<>();
                java.util.Queue<Long> wokeAt = new java.util.concurrent.ConcurrentLinkedQueue<>();
                for (int i = 0; i < WAITING; i++) {
                    String payload = "pending-" + i;
                    failed.add(callers.submit(() -> {
                        TofuException e = assertThrows(TofuException.class,
                                () -> client.call(Rpc.text(client, payload), Duration.ofSeconds(30)).close());
                        wokeAt.add(System.nanoTime());
                        return e;
                    }));
                }
                assertTrue(NoLeaks.awaitTrue(() -> entered.get() == WAITING, Duration.ofSeconds(10)),
                        "every request reached the server: " + entered.get());
                long lostAt = System.nanoTime();
                if (loss == Loss.SERVER_ABORT) {
                    server.abort();
                } else {
                    serverReactor.close();
                }
                for (TofuException e : Rpc.all(failed)) {
                    assertTrue(Set.of(Status.PEER_DISCONNECTED, Status.CHANNEL_CLOSED).contains(e.status()),
                            "§5.5.3: the close reason reaches the caller: " + e);
                    assertTrue(e.getMessage().contains("closed"), e.getMessage());
                }
                for (long t : wokeAt) {
                    assertTrue((t - lostAt) / 1_000_000 < 3_000, "callers wake promptly");
                }
            }
            assertFalse(client.isOpen());
            TofuException later = assertThrows(TofuException.class, () -> Rpc.call(client, "after"));
            assertTrue(Set.of(Status.PEER_DISCONNECTED, Status.CHANNEL_CLOSED).contains(later.status()), later.toString());
            release.countDown();
            server.close();
            client.close();
            NoLeaks.assertAtRest(clientReactor);
            if (loss == Loss.SERVER_ABORT) {
                NoLeaks.assertAtRest(serverReactor);
            }
        } finally {
            serverReactor.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void handlerThatThrowsGivesTheCallerAProcessingFailedErrorAndTheServerKeepsServing(Transport transport) {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        if (Rpc.text(request).equals("boom")) {
                            throw new IllegalStateException("boom\r\non two lines");
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            TofuException e = assertThrows(TofuException.class, () -> Rpc.call(client, "boom"));
            assertEquals(Status.PROCESSING_FAILED, e.status());
            assertTrue(e.getMessage().contains("java.lang.IllegalStateException: boom on two lines"), e.getMessage());
            assertFalse(e.getMessage().contains("\r"), "CR/LF stripped from ~error");
            assertEquals("fine", Rpc.call(client, "fine"), "the next call on the same client succeeds");
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectHookRejectsWithAReasonTheClientSees(Transport transport) {
        AtomicInteger hellos = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onConnect(hello -> hellos.incrementAndGet() == 1 ? "too many clients today" : null)
                    .onRequest(request -> request)
                    .start();
            TofuException e = assertThrows(TofuException.class, () -> Client.connect(clientReactor, server.addresses().get(0)));
            assertEquals(Status.CHANNEL_CLOSED, e.status(), "§5.5.4: reject by ByeResponse");
            assertTrue(e.getMessage().contains("too many clients today"), e.getMessage());
            try (Client client = Client.connect(clientReactor, server.addresses().get(0))) {
                assertEquals("accepted", Rpc.call(client, "accepted"));
            }
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @Test
    void connectFailuresCarryTheEngineStatus() {
        try (Reactor reactor = Reactor.create()) {
            TofuException uds = assertThrows(TofuException.class,
                    () -> Client.connect(reactor, Address.udsClient(Net.tempUdsPath())));
            assertEquals(Status.UDS_PATH_NOT_FOUND, uds.status());
            TofuException tcp = assertThrows(TofuException.class,
                    () -> Client.connect(reactor, Address.tcpClient("127.0.0.1", Net.findFreeTcpPort())));
            assertEquals(Status.CONNECT_FAILED, tcp.status());
            assertThrows(IllegalArgumentException.class, () -> Client.connect(reactor, Address.tcpServer("127.0.0.1", 1)));
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void clientCloseFailsPendingCallsAtOnce(Transport transport) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        entered.incrementAndGet();
                        Rpc.await(release);
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<TofuException> pending = callers.submit(() -> assertThrows(TofuException.class,
                        () -> Rpc.call(client, "pending")));
                assertTrue(NoLeaks.awaitTrue(() -> entered.get() == 1, Duration.ofSeconds(10)));
                client.close();
                client.close(); // idempotent
                TofuException e = Rpc.all(List.of(pending)).get(0);
                assertEquals(Status.SHUTDOWN_STARTED, e.status(), e.toString());
            }
            assertFalse(client.isOpen());
            TofuException after = assertThrows(TofuException.class, () -> Rpc.call(client, "after close"));
            assertEquals(Status.SHUTDOWN_STARTED, after.status());
            release.countDown();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
