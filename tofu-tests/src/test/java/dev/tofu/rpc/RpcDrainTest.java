package dev.tofu.rpc;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Client;
import dev.tofu.ClientStats;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.Status;
import dev.tofu.TofuDrainingException;
import dev.tofu.TofuException;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shutdown that drains (issue 19; gRPC's GOAWAY is the model): once {@code Server.stop} begins, each
 * client is told with a {@code ~drain} Signal, sends no new request (new calls fail at once with
 * {@link TofuDrainingException}, never sent), requests already accepted finish and are answered, then
 * the Bye.
 */
@Timeout(120)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcDrainTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    private static final int CALLERS = 200;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void stopUnderLoadAnswersEveryAcceptedRequestAndRefusesTheRestBeforeSending(Transport transport) throws Exception {
        Set<String> accepted = ConcurrentHashMap.newKeySet();   // what reached a handler
        Set<String> succeeded = ConcurrentHashMap.newKeySet();  // what got its response
        AtomicInteger draining = new AtomicInteger();
        AtomicInteger closedBeforeSending = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        accepted.add(Rpc.text(request));
                        LockSupport.parkNanos(200_000); // a little work, so that requests are in flight at the stop
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            long stopTookMs;
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> loops = new ArrayList<>();
                for (int t = 0; t < CALLERS; t++) {
                    int caller = t;
                    loops.add(callers.submit(() -> {
                        for (int i = 0; ; i++) {
                            String body = caller + "-" + i;
                            try {
                                assertEquals(body, Rpc.call(client, body));
                                succeeded.add(body);
                            } catch (TofuDrainingException e) {
                                draining.incrementAndGet(); // refused before it was sent
                                return;
                            } catch (TofuException e) {
                                if (e.status() == Status.CHANNEL_CLOSED) {
                                    closedBeforeSending.incrementAndGet(); // started after the Bye closed the channel
                                } else {
                                    unexpected.add(e);
                                }
                                return;
                            } catch (Throwable e) {
                                unexpected.add(e);
                                return;
                            }
                        }
                    }));
                }
                assertTrue(NoLeaks.awaitTrue(() -> succeeded.size() >= 2_000, Duration.ofSeconds(60)),
                        "load is running: " + succeeded.size());
                long start = System.nanoTime();
                server.stop(Duration.ofSeconds(5));
                stopTookMs = (System.nanoTime() - start) / 1_000_000;
                for (Future<?> f : loops) {
                    f.get();
                }
            }
            assertTrue(unexpected.isEmpty(), "every call succeeded or was refused before sending: " + unexpected);
            assertTrue(stopTookMs < 5_000, "issue 19: the server is gone within the deadline: " + stopTookMs + " ms");
            assertEquals(accepted, succeeded, "issue 19: every accepted request was answered (and nothing else succeeded)");
            ClientStats stats = client.stats();
            assertEquals(0, stats.callsFailed(), "no call failed after its request was sent: " + stats);
            assertEquals(succeeded.size(), stats.callsSucceeded(), stats.toString());
            assertEquals(draining.get() + closedBeforeSending.get(), stats.callsRefused(), stats.toString());
            assertEquals(CALLERS, draining.get() + closedBeforeSending.get(), "each caller loop ended with one refusal");
            // How many loops ended on the drain and how many on the closed channel is a race between the
            // callers and the receiver reaching the ByeRequest; aRunningRequestFinishesWhileNewCallsAreRefusedAtOnce
            // shows the refusal deterministically.
            assertFalse(server.isRunning());
            assertTrue(NoLeaks.awaitTrue(() -> !client.isOpen(), Duration.ofSeconds(10)), "the Bye closed the client's channel");
            client.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aRunningRequestFinishesWhileNewCallsAreRefusedAtOnce(Transport transport) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger handled = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        handled.incrementAndGet();
                        if (Rpc.text(request).equals("slow")) {
                            entered.countDown();
                            Rpc.await(release);
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<String> slow = threads.submit(() -> Rpc.call(client, "slow"));
                Rpc.await(entered);
                Future<?> stopping = threads.submit(() -> server.stop(Duration.ofSeconds(20)));
                assertTrue(NoLeaks.awaitTrue(client::isDraining, Duration.ofSeconds(10)), "the client heard the ~drain Signal");
                long start = System.nanoTime();
                TofuDrainingException refused = assertThrows(TofuDrainingException.class, () -> Rpc.call(client, "new"));
                assertTrue((System.nanoTime() - start) / 1_000_000 < 1_000, "refused at once, not after a wait");
                assertEquals(Status.SHUTDOWN_STARTED, refused.status());
                assertTrue(client.isOpen(), "the channel stays open for the running request");
                assertFalse(stopping.isDone(), "the stop waits for the running request");
                release.countDown();
                assertEquals("slow", slow.get(), "the accepted request is answered");
                stopping.get();
            }
            assertEquals(1, handled.get(), "the refused call never reached the server");
            assertEquals(1, client.stats().callsRefused());
            assertTrue(NoLeaks.awaitTrue(() -> !client.isOpen(), Duration.ofSeconds(10)), "then the Bye closes the channel");
            client.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theDrainIsASignalWithADrainHeaderRequestsBeforeTheAckAreServedAndTheAckReleasesTheBye(Transport transport) throws Exception {
        try (Reactor serverReactor = Reactor.create(); Reactor rawReactor = Reactor.create()) {
            Server server = Rpc.echoServer(serverReactor, transport);
            Ampe ampe = rawReactor.ampe();
            try (ChannelGroup raw = ampe.create()) {
                Message hello = ampe.get(dev.tofu.AllocationStrategy.ALWAYS);
                server.addresses().get(0).format(hello);
                int ch = raw.post(hello).channel();
                Message helloResponse = raw.waitReceive(Duration.ofSeconds(10));
                assertNotNull(helloResponse);
                assertEquals(OpCode.HELLO_RESPONSE, helloResponse.opCode());
                ampe.put(helloResponse);
                Future<?> stopping;
                try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                    stopping = threads.submit(() -> server.stop(Duration.ofSeconds(20)));
                    Message drain = nextFromPeer(raw);
                    assertEquals(OpCode.SIGNAL, drain.opCode(), "the drain is a Signal: " + drain);
                    String left = drain.headers().get("~drain");
                    assertNotNull(left, "with a ~drain text header: " + drain);
                    assertTrue(Long.parseLong(left) > 0 && Long.parseLong(left) <= 20_000, "its value is the milliseconds left: " + left);
                    assertTrue(drain.messageId() < 0, "its id is in the upper half of the unsigned range");
                    Message late = ampe.get(dev.tofu.AllocationStrategy.ALWAYS); // sent before our ack: still served
                    late.opCode(OpCode.REQUEST).channel(ch).messageId(7);
                    late.body().append("before the ack".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    raw.post(late);
                    Message response = nextFromPeer(raw);
                    assertEquals(OpCode.RESPONSE, response.opCode(),
                            "a request sent before the client's ack is answered; no Bye before the ack: " + response);
                    assertEquals(7, response.messageId());
                    assertEquals("before the ack", Rpc.text(response));
                    ampe.put(response);
                    assertFalse(stopping.isDone(), "the stop waits for the ack");
                    long start = System.nanoTime();
                    drain.headers().clear();
                    drain.headers().append("~drain", "ack");
                    raw.post(drain.channel(ch)); // the answer: this client sends nothing more
                    Message bye = nextFromPeer(raw);
                    assertEquals(OpCode.BYE_REQUEST, bye.opCode(), "after the ack comes the Bye: " + bye);
                    assertTrue((System.nanoTime() - start) / 1_000_000 < 5_000, "the ack releases the Bye, not the deadline");
                    raw.post(bye.opCode(OpCode.BYE_RESPONSE));
                    stopping.get();
                }
                Message m;
                while ((m = raw.waitReceive(Duration.ofSeconds(10))) != null) { // until the close Signal
                    boolean closed = m.origin() == Origin.ENGINE && m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED;
                    ampe.put(m);
                    if (closed) {
                        break;
                    }
                }
            }
            NoLeaks.assertAtRest(rawReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    /** The next message from the peer, putting engine pool notices back. */
    private static Message nextFromPeer(ChannelGroup raw) {
        while (true) {
            Message m = raw.waitReceive(Duration.ofSeconds(10));
            assertNotNull(m, "a message from the server within 10 s");
            if (m.origin() == Origin.APPLICATION) {
                return m;
            }
            m.close();
        }
    }
}
