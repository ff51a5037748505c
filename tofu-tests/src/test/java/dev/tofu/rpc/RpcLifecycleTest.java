package dev.tofu.rpc;

import dev.tofu.Address;
import dev.tofu.Client;
import dev.tofu.ClientOptions;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Server start/stop and client reconnect. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcLifecycleTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    @ParameterizedTest
    @EnumSource(Transport.class)
    void gracefulStopLetsARunningHandlerFinishAndItsCallerGetsTheResponse(Transport transport) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        entered.countDown();
                        Rpc.await(release);
                        return request;
                    })
                    .start();
            Address address = server.addresses().get(0);
            Client client = Client.connect(clientReactor, address);
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<String> call = threads.submit(() -> Rpc.call(client, "finish me"));
                Rpc.await(entered);
                Future<?> stopping = threads.submit(() -> server.stop(Duration.ofSeconds(10)));
                assertTrue(NoLeaks.awaitTrue(() -> !server.isRunning(), Duration.ofSeconds(10)));
                release.countDown();
                assertEquals("finish me", Rpc.all(List.of(call)).get(0), "the running handler's answer is delivered");
                stopping.get();
            }
            assertTrue(NoLeaks.awaitTrue(() -> !client.isOpen(), Duration.ofSeconds(10)),
                    "the server's ByeRequest closes the client's channel");
            TofuException after = assertThrows(TofuException.class, () -> Rpc.call(client, "after stop"));
            assertEquals(Status.CHANNEL_CLOSED, after.status(), after.toString());
            assertThrows(TofuException.class, () -> Client.connect(clientReactor, address), "the listener is closed");
            client.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @Test
    void listensOnTcpAndUdsAtOnce() {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor)
                    .listen(Transport.TCP.serverAddress())
                    .listen(Transport.UDS.serverAddress())
                    .onRequest(request -> request)
                    .start();
            List<Address> addresses = server.addresses();
            assertEquals(2, addresses.size());
            assertTrue(addresses.get(0) instanceof Address.TcpClient, addresses.toString());
            assertTrue(addresses.get(1) instanceof Address.UdsClient, addresses.toString());
            for (Address a : addresses) {
                try (Client client = Client.connect(clientReactor, a)) {
                    assertEquals("via " + a.value(), Rpc.call(client, "via " + a.value()));
                }
            }
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @Test
    void failedListenerFailsStartAndLeavesNothingBehind() {
        try (Reactor serverReactor = Reactor.create()) {
            TofuException e = assertThrows(TofuException.class, () -> Server.builder(serverReactor)
                    .listen(Transport.TCP.serverAddress())
                    .listen(Address.tcpServer("192.128.4.5", 3298)) // R8: not a local address
                    .onRequest(request -> request)
                    .start());
            assertTrue(Set.of(Status.LISTEN_FAILED, Status.INVALID_ADDRESS).contains(e.status()), e.toString());
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @Test
    void reconnectingClientFailsThePendingCallThenALaterCallReconnects() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        AtomicInteger secondServerRequests = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server first = Server.builder(serverReactor).listen(Transport.UDS.serverAddress())
                    .onRequest(request -> {
                        entered.incrementAndGet();
                        Rpc.await(release);
                        return request;
                    })
                    .start();
            Address.UdsClient address = (Address.UdsClient) first.addresses().get(0);
            Client client = Client.connect(clientReactor, address, ClientOptions.DEFAULT.withReconnect(true)
                    .withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100)));
            int firstChannel = client.channel();
            Server second = null;
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<TofuException> pending = threads.submit(() -> assertThrows(TofuException.class,
                        () -> Rpc.call(client, "pending when the server dies")));
                assertTrue(NoLeaks.awaitTrue(() -> entered.get() == 1, Duration.ofSeconds(10)));
                first.abort();
                TofuException lost = Rpc.all(List.of(pending)).get(0);
                assertTrue(Set.of(Status.PEER_DISCONNECTED, Status.CHANNEL_CLOSED).contains(lost.status()), lost.toString());
                assertFalse(client.isOpen());

                TofuException down = assertThrows(TofuException.class,
                        () -> client.call(Rpc.text(client, "while down"), Duration.ofMillis(200)).close());
                assertTrue(Set.of(Status.UDS_PATH_NOT_FOUND, Status.CONNECT_FAILED, Status.PROCESSING_FAILED)
                        .contains(down.status()), "no server: the reconnect attempts fail: " + down);

                second = Server.builder(serverReactor).listen(Address.udsServer(Path.of(address.path())))
                        .onRequest(request -> {
                            secondServerRequests.incrementAndGet();
                            return request;
                        })
                        .start();
                assertEquals("after restart", Rpc.call(client, "after restart"), "a later call reconnects first");
                assertTrue(client.isOpen());
                assertNotEquals(0, client.channel());
                assertEquals(1, secondServerRequests.get(), "the failed call was never re-sent");
            } finally {
                release.countDown();
            }
            assertTrue(firstChannel > 0);
            client.close();
            second.close();
            first.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @Test
    void serverAnswersAClientsByeAndStopIsIdempotent() {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(Transport.TCP.serverAddress())
                    .onRequest(request -> {
                        Message response = request; // reuse the request as the response
                        response.headers().append("handled", "yes");
                        return response;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (Message r = client.call(Rpc.text(client, "x"), Rpc.CALL)) {
                assertEquals("yes", r.headers().get("handled"));
            }
            client.close();
            server.stop(Duration.ofSeconds(1));
            server.stop(Duration.ofSeconds(1));
            server.abort();
            assertFalse(server.isRunning());
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
