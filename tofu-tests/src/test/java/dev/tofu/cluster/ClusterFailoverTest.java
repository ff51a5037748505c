package dev.tofu.cluster;

import dev.tofu.Address;
import dev.tofu.ClientOptions;
import dev.tofu.ClusterClient;
import dev.tofu.ClusterOptions;
import dev.tofu.ClusterStats;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.TofuUnavailableException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failure semantics of {@link ClusterClient}: a killed server process fails only the calls in flight
 * on it (with its close reason), new calls go to the others at once, and it rejoins when it is back;
 * a sent call whose server is lost fails unless it is idempotent; no server at all fails at once
 * with {@link TofuUnavailableException}.
 */
@Timeout(90)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ClusterFailoverTest {
    @RegisterExtension
    static final PinningGuard CLUSTER_THREADS = Echo.clusterThreads();

    private static final int CALLERS = 200;
    private static final ClusterOptions FAST_RECONNECT = ClusterOptions.DEFAULT.withClientOptions(
            ClientOptions.DEFAULT.withReconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200)));

    /** A server in a second JVM. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final Address address;

        Child(String host, int port, String id, int workMicros) throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            process = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), ServerProcessMain.class.getName(),
                    host, String.valueOf(port), id, String.valueOf(workMicros))
                    .redirectErrorStream(true).start();
            CompletableFuture<String> ready = new CompletableFuture<>();
            StringBuilder out = new StringBuilder();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (out) {
                            out.append(line).append('\n');
                        }
                        if (line.startsWith("READY ")) {
                            ready.complete(line.substring(6));
                        }
                    }
                } catch (Exception ignored) {
                    // killed
                }
                ready.complete("exited");
            });
            String a = ready.get(30, TimeUnit.SECONDS);
            assertTrue(a.startsWith("tcp"), "the server process listens: " + a + " " + out);
            address = Address.parse(a);
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the server process dies");
        }

        @Override
        public void close() throws Exception {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int port(Address a) {
        String v = a.value();
        return Integer.parseInt(v.substring(v.lastIndexOf('|') + 1));
    }

    @Test
    void killingOneServerProcessFailsOnlyItsCallsInFlightAndItRejoinsWhenBack() throws Exception {
        try (Reactor s2 = Reactor.create(Echo.options()); Reactor s3 = Reactor.create(Echo.options());
             Reactor client = Reactor.create(Echo.options())) {
            Server b = Echo.start(s2, Transport.TCP.serverAddress(), "b", Duration.ofMillis(1));
            Server c = Echo.start(s3, Transport.UDS.serverAddress(), "c", Duration.ofMillis(1));
            Child first = new Child("127.0.0.1", 0, "a", 1000);
            Address a = first.address;
            List<Address> addresses = List.of(a, b.addresses().get(0), c.addresses().get(0));
            Map<String, LongAdder> answered = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            try (ClusterClient cluster = ClusterClient.connect(client, addresses, FAST_RECONNECT);
                 ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                try {
                    List<Future<?>> loops = new ArrayList<>();
                    for (int t = 0; t < CALLERS; t++) {
                        int caller = t;
                        loops.add(pool.submit(() -> {
                            for (int i = 0; !stop.get(); i++) {
                                try {
                                    answered.computeIfAbsent(Echo.call(cluster, caller + "-" + i), k -> new LongAdder()).increment();
                                } catch (TofuException e) {
                                    failures.add(e);
                                    if (failures.size() > 2000) {
                                        return null; // a broken run: stop before the failures fill the heap
                                    }
                                }
                            }
                            return null;
                        }));
                    }
                    Probe.awaitTrue(() -> cluster.stats().server(a).succeeded() > 300, Echo.WAIT, "calls reach the server process");
                    long inFlightBefore = cluster.stats().server(a).inFlight();
                    first.kill();
                    Echo.awaitState(cluster, a, ClusterStats.State.DOWN);
                    // the calls that were on it end at once (failed, or moved if never written); then its figures stay
                    Probe.awaitTrue(() -> cluster.stats().server(a).inFlight() == 0, Echo.WAIT, "the calls on the dead server end");
                    ClusterStats atDown = cluster.stats();
                    long aCallsAtDown = atDown.server(a).calls();
                    long othersAtDown = atDown.server(addresses.get(1)).succeeded() + atDown.server(addresses.get(2)).succeeded();
                    Probe.awaitTrue(() -> cluster.stats().server(addresses.get(1)).succeeded()
                            + cluster.stats().server(addresses.get(2)).succeeded() > othersAtDown + 2000, Echo.WAIT, "the others keep answering");
                    ClusterStats whileDown = cluster.stats();
                    assertEquals(aCallsAtDown, whileDown.server(a).calls(), "no call goes to the dead server: " + whileDown);
                    List<Throwable> seen = new ArrayList<>(failures);
                    System.out.printf("ClusterFailoverTest: %d in flight on the process before the kill, %d calls failed: %s; %s%n",
                            inFlightBefore, seen.size(), seen.isEmpty() ? "" : seen.get(0), whileDown);
                    assertEquals(whileDown.server(a).failed(), seen.size(), "every failure is a call that was on the killed server: " + whileDown);
                    assertEquals(0, whileDown.server(addresses.get(1)).failed());
                    assertEquals(0, whileDown.server(addresses.get(2)).failed());
                    assertTrue(seen.size() <= CALLERS, "at most the calls in flight fail");
                    for (Throwable f : seen) {
                        assertInstanceOf(TofuException.class, f);
                        Status s = ((TofuException) f).status();
                        assertTrue(s == Status.PEER_DISCONNECTED || s == Status.COMMUNICATION_FAILED,
                                "a call in flight on the killed server fails with its close reason: " + f);
                    }

                    try (Child again = new Child("127.0.0.1", port(a), "a", 1000)) {
                        assertEquals(a, again.address);
                        Echo.awaitState(cluster, a, ClusterStats.State.READY);
                        long back = cluster.stats().server(a).succeeded();
                        Probe.awaitTrue(() -> cluster.stats().server(a).succeeded() > back + 200, Echo.WAIT, "the server rejoins: " + cluster.stats());
                        assertEquals(seen.size(), failures.size(), "no more failures after the restart");
                        stop.set(true);
                        for (Future<?> f : loops) {
                            f.get(30, TimeUnit.SECONDS);
                        }
                    }
                } finally {
                    stop.set(true); // before the executor's close waits for the loops
                }
            } finally {
                stop.set(true);
                first.close();
            }
            assertTrue(answered.get("a").sum() > 0 && answered.get("b").sum() > 0 && answered.get("c").sum() > 0, answered.toString());
            b.close();
            c.close();
        }
    }

    @Test
    void aSentCallWhoseServerIsLostFailsWithTheCloseReasonUnlessIdempotent() throws Exception {
        try (Reactor s1 = Reactor.create(Echo.options()); Reactor s2 = Reactor.create(Echo.options());
             Reactor client = Reactor.create(Echo.options())) {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Server holding = holdingServer(s1, held, release);
            Server other = Echo.start(s2, Transport.TCP.serverAddress(), "b", Duration.ZERO);
            List<Address> addresses = List.of(holding.addresses().get(0), other.addresses().get(0));
            try (ClusterClient cluster = ClusterClient.connect(client, addresses)) {
                // round robin starts with the first server of the set
                CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Echo.call(cluster, "x");
                    } catch (TofuException e) {
                        return e;
                    }
                }, Executors.newVirtualThreadPerTaskExecutor());
                assertTrue(held.await(20, TimeUnit.SECONDS), "the call reached the first server");
                holding.abort(); // the server goes away with the request in hand
                Object result = call.get(20, TimeUnit.SECONDS);
                TofuException e = assertInstanceOf(TofuException.class, result, "not sent again by itself: " + result);
                assertTrue(e.status() == Status.CHANNEL_CLOSED || e.status() == Status.PEER_DISCONNECTED,
                        "the close reason: " + e);
                assertFalse(e instanceof TofuUnavailableException, e.toString());
                assertEquals(1, cluster.stats().server(addresses.get(0)).failed());
                assertEquals(0, cluster.stats().server(addresses.get(1)).calls());
            }
            release.countDown();

            CountDownLatch held2 = new CountDownLatch(1);
            Server holding2 = holdingServer(s1, held2, new CountDownLatch(1));
            List<Address> addresses2 = List.of(holding2.addresses().get(0), other.addresses().get(0));
            try (ClusterClient cluster = ClusterClient.connect(client, addresses2)) {
                CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> {
                    try (Message r = cluster.call(Echo.request(cluster, "y"), Echo.CALL, true)) {
                        return Echo.text(r);
                    }
                }, Executors.newVirtualThreadPerTaskExecutor());
                assertTrue(held2.await(20, TimeUnit.SECONDS), "the call reached the first server");
                holding2.abort();
                assertEquals("b:y", call.get(20, TimeUnit.SECONDS), "an idempotent call is sent again to the other server");
                assertEquals(1, cluster.stats().retried());
            }
            other.close();
        }
    }

    private static Server holdingServer(Reactor reactor, CountDownLatch held, CountDownLatch release) {
        return Server.builder(reactor).listen(Transport.TCP.serverAddress())
                .onRequest(request -> {
                    held.countDown();
                    release.await(); // until the server is aborted (interrupts the handler)
                    return request;
                })
                .start();
    }

    @Test
    void withNoServerUpACallFailsAtOnceWithUnavailable() throws Exception {
        try (Reactor s1 = Reactor.create(Echo.options()); Reactor client = Reactor.create(Echo.options())) {
            Server gone = Echo.start(s1, Transport.TCP.serverAddress(), "a", Duration.ZERO);
            Address tcp = gone.addresses().get(0);
            gone.close(); // nothing listens there any more
            Address uds = Address.udsClient(Path.of(System.getProperty("java.io.tmpdir"), "tofu-cluster-none-" + System.nanoTime()));
            try (ClusterClient cluster = ClusterClient.connect(client, List.of(tcp, uds), FAST_RECONNECT)) {
                for (Address a : List.of(tcp, uds)) {
                    assertEquals(ClusterStats.State.DOWN, Echo.state(cluster, a), cluster.stats().toString());
                }
                long t0 = System.nanoTime();
                TofuUnavailableException e = assertThrows(TofuUnavailableException.class, () -> Echo.call(cluster, "z"));
                long tookMs = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf("ClusterFailoverTest: all down -> %s in %d ms%n", e.getMessage(), tookMs);
                assertTrue(tookMs < 1000, "at once, not after the call's timeout: " + tookMs + " ms");
                assertEquals(Status.CONNECT_FAILED, e.status());
                assertNotNull(e.getCause(), "the last connect error is the cause");
                assertEquals(1, cluster.stats().unavailable());

                // a server that comes up at an address of the set is used without any call waiting for it
                Server back = Echo.start(s1, Address.tcpServer("127.0.0.1", port(tcp)), "a", Duration.ZERO);
                Echo.awaitState(cluster, tcp, ClusterStats.State.READY);
                assertEquals("a", Echo.call(cluster, "z"));
                back.close();
            }
            try (ClusterClient empty = ClusterClient.connect(client, List.of())) {
                assertThrows(TofuUnavailableException.class, () -> Echo.call(empty, "z"));
            }
        }
    }
}
