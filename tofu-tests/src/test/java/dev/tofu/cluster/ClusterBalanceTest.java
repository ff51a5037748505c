package dev.tofu.cluster;

import dev.tofu.Address;
import dev.tofu.ClusterClient;
import dev.tofu.ClusterOptions;
import dev.tofu.ClusterOptions.Policy;
import dev.tofu.ClusterStats;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a {@link ClusterClient} spreads calls: three servers (two TCP, one Unix-domain: one set mixes
 * both) and 200 virtual threads calling get equal shares under round robin; with one slow server,
 * round robin still gives it an equal share while least-outstanding sends it far fewer calls.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ClusterBalanceTest {
    @RegisterExtension
    static final PinningGuard CLUSTER_THREADS = Echo.clusterThreads();

    private static final int CALLERS = 200;

    @Test
    void threeServersMixedTcpAndUdsEachGetAFairShareOf200Callers() throws Exception {
        try (Reactor s1 = Reactor.create(Echo.options()); Reactor s2 = Reactor.create(Echo.options());
             Reactor s3 = Reactor.create(Echo.options()); Reactor client = Reactor.create(Echo.options())) {
            List<Server> servers = List.of(
                    Echo.start(s1, Transport.TCP.serverAddress(), "a", Duration.ZERO),
                    Echo.start(s2, Transport.UDS.serverAddress(), "b", Duration.ZERO),
                    Echo.start(s3, Transport.TCP.serverAddress(), "c", Duration.ZERO));
            List<Address> addresses = servers.stream().map(s -> s.addresses().get(0)).toList();
            try (ClusterClient cluster = ClusterClient.connect(client, addresses)) {
                for (Address a : addresses) {
                    assertEquals(ClusterStats.State.READY, Echo.state(cluster, a), "connect waited for every server: " + cluster.stats());
                }
                Map<String, LongAdder> answered = run(cluster, CALLERS, 15);
                long total = CALLERS * 15;
                System.out.printf("ClusterBalanceTest: %d calls over a/b/c: %s%n", total, answered);
                for (String id : List.of("a", "b", "c")) {
                    long n = answered.get(id).sum();
                    assertTrue(Math.abs(n - total / 3.0) <= 0.2 * total / 3.0,
                            "server " + id + " got " + n + " of " + total + " calls (fair share within 20 %): " + answered);
                }
                ClusterStats stats = cluster.stats();
                assertEquals(total, stats.calls());
                assertEquals(total, stats.succeeded());
                assertEquals(0, stats.failed());
                for (int i = 0; i < 3; i++) {
                    ClusterStats.Member m = stats.server(addresses.get(i));
                    assertEquals(answered.get(List.of("a", "b", "c").get(i)).sum(), m.succeeded(), "per-server figures: " + stats);
                    assertEquals(m.calls(), m.succeeded());
                    assertEquals(0, m.inFlight());
                }
            }
            servers.forEach(Server::close);
        }
    }

    @Test
    void roundRobinGivesASlowServerAnEqualShareLeastOutstandingFarFewer() throws Exception {
        try (Reactor s1 = Reactor.create(Echo.options()); Reactor s2 = Reactor.create(Echo.options());
             Reactor s3 = Reactor.create(Echo.options()); Reactor client = Reactor.create(Echo.options())) {
            List<Server> servers = List.of(
                    Echo.start(s1, Transport.TCP.serverAddress(), "slow", Duration.ofMillis(5)),
                    Echo.start(s2, Transport.TCP.serverAddress(), "fast1", Duration.ZERO),
                    Echo.start(s3, Transport.UDS.serverAddress(), "fast2", Duration.ZERO));
            List<Address> addresses = servers.stream().map(s -> s.addresses().get(0)).toList();
            int callers = 32;
            int each = 30;
            long total = (long) callers * each;
            try (ClusterClient rr = ClusterClient.connect(client, addresses, ClusterOptions.DEFAULT.withPolicy(Policy.ROUND_ROBIN))) {
                Map<String, LongAdder> answered = run(rr, callers, each);
                System.out.printf("ClusterBalanceTest round robin: %s%n", answered);
                long slow = answered.get("slow").sum();
                assertTrue(Math.abs(slow - total / 3.0) <= 0.2 * total / 3.0,
                        "round robin: the slow server gets its third all the same: " + answered);
            }
            try (ClusterClient lo = ClusterClient.connect(client, addresses, ClusterOptions.DEFAULT.withPolicy(Policy.LEAST_OUTSTANDING))) {
                Map<String, LongAdder> answered = run(lo, callers, each);
                System.out.printf("ClusterBalanceTest least outstanding: %s%n", answered);
                long slow = answered.get("slow").sum();
                long fast = Math.min(answered.get("fast1").sum(), answered.get("fast2").sum());
                assertTrue(slow * 2 < fast, "least outstanding: the slow server gets well under half a fast one's share: " + answered);
            }
            servers.forEach(Server::close);
        }
    }

    /** {@code callers} virtual threads each make {@code each} calls; returns answers per server id. */
    static Map<String, LongAdder> run(ClusterClient cluster, int callers, int each) throws Exception {
        Map<String, LongAdder> answered = new ConcurrentHashMap<>();
        for (String id : List.of("a", "b", "c", "slow", "fast1", "fast2")) {
            answered.put(id, new LongAdder());
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < callers; t++) {
                int caller = t;
                all.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        answered.get(Echo.call(cluster, caller + "-" + i)).increment();
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        return answered;
    }
}
