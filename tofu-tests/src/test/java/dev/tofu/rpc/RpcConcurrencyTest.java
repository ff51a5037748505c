package dev.tofu.rpc;

import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many callers on one client: every response reaches the caller that asked for it; bounded handlers. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcConcurrencyTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    private static final int CALLERS = 1000;
    private static final int CALLS_EACH = 100;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void thousandVirtualThreadCallersOnOneClientEachGetTheirOwnResponses(Transport transport) throws Exception {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Rpc.echoServer(serverReactor, transport);
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            AtomicInteger matched = new AtomicInteger();
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Void>> done = new ArrayList<>();
                for (int c = 0; c < CALLERS; c++) {
                    int caller = c;
                    done.add(callers.submit(() -> {
                        for (int i = 0; i < CALLS_EACH; i++) {
                            String payload = "caller-" + caller + "-call-" + i + "-" + ThreadLocalRandom.current().nextLong();
                            try (Message response = client.call(Rpc.text(client, payload), Rpc.CALL)) {
                                assertEquals(payload, Rpc.text(response), "R20: a response reaches the caller with its id");
                            }
                            matched.incrementAndGet();
                        }
                        return null;
                    }));
                }
                Rpc.all(done);
            }
            assertEquals(CALLERS * CALLS_EACH, matched.get());
            assertEquals(0, client.lateResponses());
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void perChannelLimitBoundsRunningHandlersAndQueuesTheRest(Transport transport) throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .maxConcurrencyPerChannel(4)
                    .onRequest(request -> {
                        Rpc.raiseTo(maxRunning, running.incrementAndGet());
                        try {
                            Rpc.await(release);
                        } finally {
                            running.decrementAndGet();
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> done = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String payload = "call-" + i;
                    done.add(callers.submit(() -> Rpc.call(client, payload)));
                }
                assertTrue(NoLeaks.awaitTrue(() -> running.get() == 4, Duration.ofSeconds(10)),
                        "four handlers run while sixteen requests wait");
                release.countDown();
                List<String> answers = Rpc.all(done);
                for (int i = 0; i < 20; i++) {
                    assertEquals("call-" + i, answers.get(i));
                }
            }
            assertEquals(4, maxRunning.get(), "maxConcurrencyPerChannel(4): never more than four at once");
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void serverWideLimitStopsReadingButDropsNothing(Transport transport) throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .maxConcurrency(3)
                    .onRequest(request -> {
                        Rpc.raiseTo(maxRunning, running.incrementAndGet());
                        try {
                            Rpc.await(release);
                        } finally {
                            running.decrementAndGet();
                        }
                        return request;
                    })
                    .start();
            Client a = Client.connect(clientReactor, server.addresses().get(0));
            Client b = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> done = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    Client c = i % 2 == 0 ? a : b;
                    String payload = "call-" + i;
                    done.add(callers.submit(() -> Rpc.call(c, payload)));
                }
                assertTrue(NoLeaks.awaitTrue(() -> running.get() == 3, Duration.ofSeconds(10)));
                release.countDown();
                List<String> answers = Rpc.all(done);
                for (int i = 0; i < 10; i++) {
                    assertEquals("call-" + i, answers.get(i));
                }
            }
            assertEquals(3, maxRunning.get(), "maxConcurrency(3) across both clients");
            a.close();
            b.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
