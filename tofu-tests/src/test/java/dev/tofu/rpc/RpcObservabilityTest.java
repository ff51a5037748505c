package dev.tofu.rpc;

import dev.tofu.CallListener;
import dev.tofu.Client;
import dev.tofu.ClientOptions;
import dev.tofu.ClientStats;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.ServerStats;
import dev.tofu.Status;
import dev.tofu.TofuRemoteException;
import dev.tofu.TofuTimeoutException;
import dev.tofu.internal.rpc.Parts;
import dev.tofu.internal.rpc.ServerCore;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire.Transport;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Errors and observability (issue 19): distinct exception types, stats, call listeners, JFR events, pool advice. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcObservabilityTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    /** One {@link CallListener} event, as recorded by the test. */
    private record Heard(String what, int channel, long id, Throwable failure, String thread) {
    }

    private static CallListener recorder(ConcurrentLinkedQueue<Heard> heard) {
        return new CallListener() {
            @Override
            public void started(int channel, long messageId) {
                heard.add(new Heard("started", channel, messageId, null, Thread.currentThread().toString()));
            }

            @Override
            public void finished(int channel, long messageId, Duration elapsed, Throwable failure) {
                assertTrue(!elapsed.isNegative());
                heard.add(new Heard("finished", channel, messageId, failure, Thread.currentThread().toString()));
            }
        };
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void statsAndListenersCountSuccessesRemoteFailuresAndTimeouts(Transport transport) throws Exception {
        ConcurrentLinkedQueue<Heard> clientHeard = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Heard> serverHeard = new ConcurrentLinkedQueue<>();
        CountDownLatch release = new CountDownLatch(1);
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .callListener(recorder(serverHeard))
                    .onRequest(request -> {
                        switch (Rpc.text(request)) {
                            case "boom" -> throw new IllegalStateException("boom: it broke");
                            case "slow" -> Rpc.await(release);
                            default -> { }
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0),
                    ClientOptions.DEFAULT.withCallListener(recorder(clientHeard)));
            for (int i = 0; i < 5; i++) {
                assertEquals("ok" + i, Rpc.call(client, "ok" + i));
            }
            TofuRemoteException remote = assertThrows(TofuRemoteException.class, () -> Rpc.call(client, "boom"));
            assertEquals("java.lang.IllegalStateException", remote.remoteClass(), "issue 19: the remote class");
            assertEquals("boom: it broke", remote.remoteMessage(), "issue 19: the remote message");
            assertEquals(Status.PROCESSING_FAILED, remote.status());
            assertThrows(TofuTimeoutException.class,
                    () -> client.call(Rpc.text(client, "slow"), Duration.ofMillis(200)).close());
            release.countDown();
            assertTrue(NoLeaks.awaitTrue(() -> client.lateResponses() == 1, Duration.ofSeconds(10)));
            assertTrue(NoLeaks.awaitTrue(() -> server.stats().requestsStarted() == 7
                    && server.stats().inFlight() == 0 && serverHeard.size() == 14, Duration.ofSeconds(10)), server.stats().toString());

            ClientStats cs = client.stats();
            assertEquals(7, cs.callsStarted(), cs.toString());
            assertEquals(5, cs.callsSucceeded(), cs.toString());
            assertEquals(2, cs.callsFailed(), cs.toString());
            assertEquals(1, cs.callsTimedOut(), cs.toString());
            assertEquals(0, cs.callsRefused(), cs.toString());
            assertEquals(0, cs.inFlight(), cs.toString());
            assertEquals(1, cs.lateResponses(), cs.toString());
            assertEquals(5, cs.latency().count(), cs.toString());
            assertTrue(cs.latency().p50().toNanos() > 0, cs.toString());
            assertTrue(cs.latency().p50().compareTo(cs.latency().p99()) <= 0, cs.toString());
            assertTrue(cs.latency().p99().compareTo(cs.latency().max()) <= 0, cs.toString());

            ServerStats ss = server.stats();
            assertEquals(7, ss.requestsStarted(), ss.toString());
            assertEquals(6, ss.requestsSucceeded(), "the slow request was answered (late, for the client): " + ss);
            assertEquals(1, ss.requestsFailed(), ss.toString());
            assertEquals(1, ss.connectedClients(), ss.toString());
            assertEquals(6, ss.latency().count(), ss.toString());

            List<Heard> c = List.copyOf(clientHeard);
            assertEquals(14, c.size(), "a started and a finished per call: " + c);
            assertEquals(7, c.stream().filter(h -> h.what().equals("started")).count());
            assertEquals(1, c.stream().filter(h -> h.failure() instanceof TofuRemoteException).count(), c.toString());
            assertEquals(1, c.stream().filter(h -> h.failure() instanceof TofuTimeoutException).count(), c.toString());
            assertTrue(c.stream().allMatch(h -> h.channel() == client.channel()), c.toString());
            for (Heard h : c) { // started and finished of a call run on the same thread
                if (h.what().equals("started")) {
                    assertTrue(c.stream().anyMatch(f -> f.what().equals("finished") && f.id() == h.id()
                            && f.thread().equals(h.thread())), "finished on the caller's thread: " + h);
                }
            }
            List<Heard> s = List.copyOf(serverHeard);
            assertEquals(1, s.stream().filter(h -> h.failure() instanceof IllegalStateException).count(), s.toString());
            assertEquals(6, s.stream().filter(h -> h.what().equals("finished") && h.failure() == null).count(), s.toString());
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void everyCallAndEveryHandledRequestIsAJfrEvent(Transport transport, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("rpc.jfr");
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        if (Rpc.text(request).equals("boom")) {
                            throw new IllegalArgumentException("no");
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (Recording recording = new Recording()) {
                recording.enable("dev.tofu.RpcCall").withoutThreshold();   // default: 20 ms and slower only
                recording.enable("dev.tofu.RpcRequest").withoutThreshold();
                recording.start();
                for (int i = 0; i < 3; i++) {
                    Rpc.call(client, "jfr" + i);
                }
                assertThrows(TofuRemoteException.class, () -> Rpc.call(client, "boom"));
                assertTrue(NoLeaks.awaitTrue(() -> server.stats().requestsStarted() == 4 && server.stats().inFlight() == 0,
                        Duration.ofSeconds(10)));
                assertTrue(NoLeaks.awaitTrue(() -> server.stats().requestsSucceeded() + server.stats().requestsFailed() == 4,
                        Duration.ofSeconds(10)));
                recording.stop();
                recording.dump(file);
            }
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            List<RecordedEvent> calls = events.stream().filter(e -> e.getEventType().getName().equals("dev.tofu.RpcCall")).toList();
            List<RecordedEvent> handled = events.stream().filter(e -> e.getEventType().getName().equals("dev.tofu.RpcRequest")).toList();
            assertEquals(4, calls.size(), "one dev.tofu.RpcCall per call: " + calls);
            assertEquals(4, handled.size(), "one dev.tofu.RpcRequest per handled request: " + handled);
            assertEquals(3, calls.stream().filter(e -> "SUCCESS".equals(e.getString("outcome"))).count(), calls.toString());
            assertEquals(1, calls.stream().filter(e -> "TofuRemoteException".equals(e.getString("outcome"))).count(), calls.toString());
            assertEquals(1, handled.stream().filter(e -> "IllegalArgumentException".equals(e.getString("outcome"))).count(), handled.toString());
            assertTrue(calls.stream().allMatch(e -> e.getInt("channel") == client.channel()), calls.toString());
            assertTrue(calls.stream().allMatch(e -> !e.getDuration().isNegative()), calls.toString());
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @Test
    void aServerWhosePoolIsSmallerThanItsConcurrencyIsWarnedAbout() {
        String advice = ServerCore.poolAdvice(16, 64, Server.DEFAULT_MAX_CONCURRENCY);
        assertNotNull(advice, "issue 19: the default 16/64 pool under a 1024-request server is reported");
        assertTrue(advice.contains("Options.of(1088, 1088)"), advice);
        assertNull(ServerCore.poolAdvice(1088, 1088, 1024), "a pool of maxConcurrency + 64 is enough");
        assertNotNull(ServerCore.poolAdvice(1087, 1088, 1024), "too few to start with");
        assertNotNull(ServerCore.poolAdvice(64, 4096, 1024), "a large maximum alone does not give readers idle messages");
        assertNotNull(ServerCore.poolAdvice(1088, 1087, 1024), "cannot keep enough");
    }

    @Test
    void theErrorHeaderParsesIntoTheRemoteClassAndMessage() {
        assertInstanceOf(dev.tofu.TofuException.class, new TofuRemoteException("x.Y", "m"));
        TofuRemoteException parsed = Parts.remoteFailure("java.io.IOException: disk: full");
        assertEquals("java.io.IOException", parsed.remoteClass());
        assertEquals("disk: full", parsed.remoteMessage());
        assertEquals("x.NoMessage", Parts.remoteFailure("x.NoMessage").remoteClass());
    }
}
