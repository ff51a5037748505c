package dev.tofu.e2e;

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
import dev.tofu.internal.engine.Engine;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pool fairness (issue 19): with the default pool (16/64), readers starved of pooled messages wait;
 * a message the application puts back while they wait goes to a waiting reader, not to whoever
 * takes next (another channel's reader taking without waiting). A server-like load (four clients
 * pipelining 200 requests each; an application that holds every request, as long-polling handlers
 * do, and puts each pool_empty Signal back at once, as §6.6 asks) must deliver every request, and a
 * new connection must complete within a second while the pool is starved. Before the fix the
 * waiting readers' share of the put-back Signals went to readers that had not waited, and the
 * load stalled for good with the pool at 0 idle (628 and 759 of 800 requests after 60 s).
 */
@Timeout(120)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EnginePoolFairnessTest {
    private static final int CLIENTS = 4;
    private static final int REQUESTS = 200;
    private static final Duration CONNECT_WITHIN = Duration.ofSeconds(1);
    private static final Duration ALL_WITHIN = Duration.ofSeconds(30);

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aStarvedPoolServesWaitingReadersSoEveryRequestArrivesAndANewConnectionCompletes(Transport transport)
            throws Exception {
        try (Reactor serverReactor = Reactor.create(Options.DEFAULT);
             Reactor clientReactor = Reactor.create(Options.of(1024, 4096))) {
            Ampe sa = serverReactor.ampe();
            Engine serverEngine = (Engine) sa;
            ChannelGroup server = sa.create();
            Wire.Listener l = Wire.listen(sa, server, transport.serverAddress());

            // the server application: answers HelloRequests at once, puts pool_empty Signals back at
            // once (§6.6), and holds every Request (long polling) until all of them have arrived
            AtomicInteger requests = new AtomicInteger();
            AtomicInteger poolEmpty = new AtomicInteger();
            java.util.List<Message> held = new java.util.ArrayList<>();
            AtomicReference<Throwable> serverFailure = new AtomicReference<>();
            Thread serverLoop = Thread.ofVirtual().name("test-server").start(() -> {
                try {
                    while (true) {
                        Message m = server.waitReceive(ChannelGroup.INFINITE);
                        if (m.status() == Status.RECEIVER_UPDATE) {
                            m.close();
                            return;
                        }
                        if (m.origin() == Origin.ENGINE) {
                            if (m.status() == Status.POOL_EMPTY) {
                                poolEmpty.incrementAndGet();
                            }
                            m.close(); // §6.6: put pool_empty Signals back
                            continue;
                        }
                        if (m.opCode() == OpCode.HELLO_REQUEST) {
                            m.opCode(OpCode.HELLO_RESPONSE);
                            postOrPut(server, m);
                        } else if (m.opCode() == OpCode.REQUEST) {
                            held.add(m);
                            if (requests.incrementAndGet() == CLIENTS * REQUESTS) {
                                for (Message r : held) { // answer them all
                                    r.opCode(OpCode.RESPONSE);
                                    postOrPut(server, r);
                                }
                                held.clear();
                            }
                        } else {
                            m.close();
                        }
                    }
                } catch (Throwable e) {
                    serverFailure.set(e);
                }
            });

            // the clients: four channels, each with REQUESTS requests in flight at once
            Ampe ca = clientReactor.ampe();
            ChannelGroup client = ca.create();
            Map<Integer, Long> helloAt = new ConcurrentHashMap<>();
            AtomicInteger responses = new AtomicInteger();
            Thread clientLoop = Thread.ofVirtual().name("test-client").start(() -> {
                try {
                    while (true) {
                        Message m = client.waitReceive(ChannelGroup.INFINITE);
                        if (m.status() == Status.RECEIVER_UPDATE) {
                            m.close();
                            return;
                        }
                        if (m.opCode() == OpCode.HELLO_RESPONSE) {
                            helloAt.put(m.channel(), System.nanoTime());
                        } else if (m.opCode() == OpCode.RESPONSE) {
                            responses.incrementAndGet();
                        }
                        m.close();
                    }
                } catch (TofuException e) {
                    // the reactor closed
                }
            });
            for (int c = 0; c < CLIENTS; c++) {
                int ch = Wire.hello(ca, client, l.clientAddress()).channel();
                for (int i = 1; i <= REQUESTS; i++) {
                    Message m = ca.get(AllocationStrategy.ALWAYS);
                    m.opCode(OpCode.REQUEST).channel(ch).messageId(c * 10_000L + i);
                    m.body().append(new byte[64]);
                    client.post(m);
                }
            }

            // once the server's pool is starved (readers told the application so), a new client connects
            assertTrue(NoLeaks.awaitTrue(() -> poolEmpty.get() >= CLIENTS && requests.get() >= 64, Duration.ofSeconds(30)),
                    "the server's pool starves: " + poolEmpty.get() + " pool_empty, " + requests.get() + " requests");
            long start = System.nanoTime();
            int late = Wire.hello(ca, client, l.clientAddress()).channel();
            assertTrue(NoLeaks.awaitTrue(() -> helloAt.containsKey(late), Duration.ofSeconds(30)),
                    "the new connection completes at all");
            Duration took = Duration.ofNanos(helloAt.get(late) - start);
            int idle = serverEngine.pool().idleCount();
            assertTrue(took.compareTo(CONNECT_WITHIN) <= 0,
                    "a new connection completes within " + CONNECT_WITHIN + " while the pool is starved, took " + took
                            + " (" + requests.get() + " requests arrived so far, " + idle + " idle)");

            // every request reaches the application, every response its caller
            int total = CLIENTS * REQUESTS;
            boolean all = NoLeaks.awaitTrue(() -> requests.get() == total && responses.get() == total, ALL_WITHIN);
            assertTrue(all, "every request reaches the application within " + ALL_WITHIN + ": " + requests.get()
                    + " of " + total + " requests, " + responses.get() + " responses, server pool idle "
                    + serverEngine.pool().idleCount());

            server.updateReceiver(null);
            client.updateReceiver(null);
            assertTrue(serverLoop.join(Duration.ofSeconds(10)) && clientLoop.join(Duration.ofSeconds(10)));
            assertNull(serverFailure.get(), "the server loop failed");
            assertEquals(total, requests.get());
        }
    }

    private static void postOrPut(ChannelGroup g, Message m) {
        try {
            g.post(m);
        } catch (TofuException e) {
            m.close();
        }
    }
}
