package dev.tofu.cluster;

import dev.tofu.Address;
import dev.tofu.ClientOptions;
import dev.tofu.ClusterClient;
import dev.tofu.ClusterOptions;
import dev.tofu.ClusterStats;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rolling restart under load: three servers (TCP and Unix-domain mixed), 200 virtual threads calling
 * in a loop through one {@link ClusterClient}; each server in turn is stopped with its drain
 * ({@code stop(5 s)}) and started again at the same address. No call fails and every answer is the
 * one to its own request (each server echoes the request's body after its name).
 */
@Timeout(120)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ClusterRollingRestartTest {
    @RegisterExtension
    static final PinningGuard CLUSTER_THREADS = Echo.clusterThreads();

    private static final int CALLERS = 200;

    @ParameterizedTest
    @EnumSource(ClusterOptions.Policy.class)
    void restartingEachOfThreeServersInTurnUnderLoadFailsNoCall(ClusterOptions.Policy policy) throws Exception {
        Reactor[] reactors = new Reactor[3];
        Server[] servers = new Server[3];
        Address[] listen = new Address[3];
        List<Address> addresses = new ArrayList<>();
        String[] ids = {"a", "b", "c"};
        Transport[] transports = {Transport.TCP, Transport.UDS, Transport.TCP};
        try (Reactor client = Reactor.create(Echo.options())) {
            for (int i = 0; i < 3; i++) {
                reactors[i] = Reactor.create(Echo.options());
                servers[i] = Echo.start(reactors[i], transports[i].serverAddress(), ids[i], Duration.ofMillis(1));
                Address a = servers[i].addresses().get(0);
                addresses.add(a);
                listen[i] = serverAddressOf(a);
            }
            ClusterOptions options = ClusterOptions.DEFAULT.withPolicy(policy).withClientOptions(
                    ClientOptions.DEFAULT.withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(100)));
            LongAdder ok = new LongAdder();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            try (ClusterClient cluster = ClusterClient.connect(client, addresses, options);
                 ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                try {
                    List<Future<?>> loops = new ArrayList<>();
                    for (int t = 0; t < CALLERS; t++) {
                        int caller = t;
                        loops.add(pool.submit(() -> {
                            for (int i = 0; !stop.get(); i++) {
                                try {
                                    Echo.call(cluster, caller + "-" + i); // checks the answer
                                    ok.increment();
                                } catch (RuntimeException | AssertionError e) {
                                    failures.add(e);
                                    if (failures.size() > 2000) {
                                        return null; // a broken run: stop before the failures fill the heap
                                    }
                                }
                            }
                            return null;
                        }));
                    }
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 3; i++) {
                        Address a = addresses.get(i);
                        long before = cluster.stats().server(a).succeeded();
                        Probe.awaitTrue(() -> cluster.stats().server(a).succeeded() > before + 200, Echo.WAIT, "load on " + a.value());
                        long stopStart = System.nanoTime();
                        servers[i].stop(Duration.ofSeconds(5));
                        long stopMs = (System.nanoTime() - stopStart) / 1_000_000;
                        servers[i] = Echo.start(reactors[i], listen[i], ids[i], Duration.ofMillis(1));
                        Echo.awaitState(cluster, a, ClusterStats.State.READY);
                        long back = cluster.stats().server(a).succeeded();
                        Probe.awaitTrue(() -> cluster.stats().server(a).succeeded() > back + 200, Echo.WAIT,
                                "the restarted server " + a.value() + " takes calls again");
                        System.out.printf("ClusterRollingRestartTest %s: %s restarted (stop took %d ms), %d calls so far, %d failed%n",
                                policy, ids[i], stopMs, ok.sum(), failures.size());
                    }
                    stop.set(true);
                    for (Future<?> f : loops) {
                        f.get(30, TimeUnit.SECONDS);
                    }
                    ClusterStats stats = cluster.stats();
                    System.out.printf("ClusterRollingRestartTest %s: %d calls in %d ms, %s%n", policy, ok.sum(),
                            (System.nanoTime() - t0) / 1_000_000, stats);
                    assertEquals(List.of(), new ArrayList<>(failures).subList(0, Math.min(5, failures.size())),
                            failures.size() + " calls failed during the rolling restart");
                    assertEquals(ok.sum(), stats.succeeded());
                    assertEquals(0, stats.failed());
                    assertTrue(stats.rerouted() >= 0);
                    for (ClusterStats.Member m : stats.servers()) {
                        assertEquals(0, m.failed(), "no sent call failed: " + m);
                        assertEquals(ClusterStats.State.READY, m.state(), m.toString());
                        assertTrue(m.lastError() != null, "its first channel was closed by the restart: " + m);
                    }
                } finally {
                    stop.set(true); // before the executor's close waits for the loops
                }
            } finally {
                stop.set(true);
                for (int i = 0; i < 3; i++) {
                    if (servers[i] != null) {
                        servers[i].close();
                    }
                    if (reactors[i] != null) {
                        reactors[i].close();
                    }
                }
            }
        }
    }

    /** The server address that listens where client address {@code a} connects. */
    static Address serverAddressOf(Address a) {
        String v = a.value();
        if (v.startsWith("tcp|")) {
            return Address.tcpServer("127.0.0.1", Integer.parseInt(v.substring(v.lastIndexOf('|') + 1)));
        }
        return Address.udsServer(java.nio.file.Path.of(v.substring(v.indexOf('|') + 1)));
    }
}
