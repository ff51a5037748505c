package dev.tofu.rpc;

import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.internal.rpc.ServerCore;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sizing a server's reactor (issue 19): on a reactor sized as {@code Server} advises
 * ({@code Options.of(maxConcurrency + 64, maxConcurrency + 64)}), slow handlers holding hundreds of
 * requests neither starve the readers nor keep a new client from connecting. (On a default 16/64
 * pool, or a 64/1088 one, the same load stalled with requests unread: the engine's readers take only
 * idle pooled messages, and the handlers hold theirs.)
 */
@Timeout(300)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcPoolSizingTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    private static final int CLIENTS = 4;
    private static final int IN_FLIGHT = 200;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void slowHandlersOnAnAdvisedPoolStillReachEveryRequestAndANewClientConnectsWithinASecond(Transport transport) throws Exception {
        int advised = Server.DEFAULT_MAX_CONCURRENCY + ServerCore.POOL_SPARE;
        Options sized = Options.of(advised, advised);
        assertNull(ServerCore.poolAdvice(sized.initialPoolMsgs(), sized.maxPoolMsgs(), Server.DEFAULT_MAX_CONCURRENCY),
                "no warning for this size");
        slowHandlersReachEveryRequest(transport, sized);
    }

    /**
     * The issue's own scenario on the default 16/64 pool (which the server warns about): the readers'
     * pool_empty notices, put back by the server, grow the pool and, with fair hand-off to waiting
     * readers, every request still arrives and a new client still connects at once.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void slowHandlersOnTheDefaultPoolStillReachEveryRequestAndANewClientConnectsWithinASecond(Transport transport) throws Exception {
        slowHandlersReachEveryRequest(transport, Options.DEFAULT);
    }

    private void slowHandlersReachEveryRequest(Transport transport, Options sized) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(sized); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .maxConcurrencyPerChannel(IN_FLIGHT) // every request of a client may run at once
                    .onRequest(request -> {
                        entered.incrementAndGet();
                        assertTrue(release.await(90, TimeUnit.SECONDS)); // long polling: the handler holds its request
                        return request;
                    })
                    .start();
            List<Client> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(Client.connect(clientReactor, server.addresses().get(0)));
            }
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> calls = new ArrayList<>();
                for (Client c : clients) {
                    for (int i = 0; i < IN_FLIGHT; i++) {
                        String body = "poll-" + i;
                        calls.add(callers.submit(() -> {
                            try (Message r = c.call(Rpc.text(c, body), Duration.ofSeconds(90))) {
                                return Rpc.text(r);
                            }
                        }));
                    }
                }
                assertTrue(NoLeaks.awaitTrue(() -> entered.get() == CLIENTS * IN_FLIGHT, Duration.ofSeconds(30)),
                        "issue 19: every request reaches its handler: " + entered.get() + " of " + CLIENTS * IN_FLIGHT
                                + ", " + server.stats() + ", " + serverReactor.stats());
                long start = System.nanoTime();
                try (Client late = Client.connect(clientReactor, server.addresses().get(0))) {
                    long tookMs = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(tookMs < 1_000, "issue 19: a new client connects within 1 s: " + tookMs + " ms");
                }
                release.countDown();
                List<String> answers = Rpc.all(calls);
                assertEquals(CLIENTS * IN_FLIGHT, answers.size());
            }
            for (Client c : clients) {
                c.close();
            }
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
