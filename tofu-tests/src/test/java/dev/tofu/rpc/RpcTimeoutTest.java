package dev.tofu.rpc;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Client;
import dev.tofu.ClientOptions;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.Status;
import dev.tofu.TofuTimeoutException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Timeouts: the caller gets TofuTimeoutException, the channel stays usable, late responses are counted and dropped. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcTimeoutTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    @ParameterizedTest
    @EnumSource(Transport.class)
    void timedOutCallsLeaveTheChannelUsableAndLateResponsesAreCountedNotDelivered(Transport transport) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger slowEntered = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        if (Rpc.text(request).startsWith("slow")) {
                            slowEntered.incrementAndGet();
                            Rpc.await(release); // a deliberately slow handler, released by the test
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));

            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<TofuTimeoutException>> slow = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    String payload = "slow-" + i;
                    slow.add(callers.submit(() -> assertThrows(TofuTimeoutException.class,
                            () -> client.call(Rpc.text(client, payload), Duration.ofMillis(200)).close())));
                }
                for (TofuTimeoutException e : Rpc.all(slow)) {
                    assertEquals(Status.PROCESSING_FAILED, e.status());
                    assertTrue(e.getMessage().contains("no response"), e.getMessage());
                }
            }
            assertTrue(client.isOpen(), "a timeout leaves the channel open");
            assertTrue(NoLeaks.awaitTrue(() -> slowEntered.get() == 5, Duration.ofSeconds(10)),
                    "every timed-out request still reached its handler: " + slowEntered.get());
            assertEquals("fast-while-slow-pending", Rpc.call(client, "fast-while-slow-pending"));
            assertEquals(0, client.lateResponses());

            release.countDown(); // the five late responses arrive now
            assertTrue(NoLeaks.awaitTrue(() -> client.lateResponses() == 5, Duration.ofSeconds(10)),
                    "every late response is counted: " + client.lateResponses());
            for (int i = 0; i < 50; i++) {
                assertEquals("after-" + i, Rpc.call(client, "after-" + i), "later calls get their own answers");
            }
            assertEquals(5, client.lateResponses());
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void streamIteratorDeadlineIsOverall(Transport transport) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onStream((request, out) -> {
                        out.send(Rpc.fill(out.newMessage(), "first"), true);
                        Rpc.await(release);
                        out.send(out.newMessage(), false);
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            // long enough for the first part on a loaded machine; the second never comes in time
            Iterator<Message> parts = client.stream(Rpc.text(client, "go"), Duration.ofSeconds(1));
            assertTrue(parts.hasNext());
            try (Message first = parts.next()) {
                assertEquals("first", Rpc.text(first));
                assertTrue(first.more());
            }
            assertThrows(TofuTimeoutException.class, parts::hasNext);
            assertFalse(parts.hasNext(), "a timed-out stream is over");
            release.countDown();
            assertTrue(NoLeaks.awaitTrue(() -> client.lateResponses() == 1, Duration.ofSeconds(10)));
            assertEquals("first", Rpc.call(client, "next"), "the channel is still usable");
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectTimesOutWhenNobodyAnswersTheHelloRequest(Transport transport) {
        try (Reactor rawReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Ampe ampe = rawReactor.ampe();
            ChannelGroup raw = ampe.create(); // a listener whose application never reads its group
            Wire.Listener listener = Wire.listen(ampe, raw, transport.serverAddress());
            long start = System.nanoTime();
            TofuTimeoutException e = assertThrows(TofuTimeoutException.class, () -> Client.connect(clientReactor,
                    listener.clientAddress(), ClientOptions.DEFAULT.withConnectTimeout(Duration.ofMillis(300))));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs >= 250 && tookMs < 5_000, "connect timeout honoured: " + tookMs + " ms");
            assertTrue(e.getMessage().contains("HelloResponse"), e.getMessage());
            NoLeaks.assertAtRest(clientReactor); // the client's group and channel are gone
            raw.close();
        }
    }
}
