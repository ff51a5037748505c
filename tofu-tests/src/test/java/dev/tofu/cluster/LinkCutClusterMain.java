package dev.tofu.cluster;

import dev.tofu.Address;
import dev.tofu.ClientOptions;
import dev.tofu.ClusterClient;
import dev.tofu.ClusterOptions;
import dev.tofu.ClusterStats;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.Status;
import dev.tofu.TofuException;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The client host of {@code ClusterLinkCutTest}, run in a network namespace of its own: two echo
 * servers ({@code b}, {@code c}) on this host's loopback, and a {@link ClusterClient} (least outstanding)
 * over those and the remote server {@code a} across the link, with an idle timeout on the client's reactor. 32
 * virtual threads call in a loop. Every 100 ms it prints
 * {@code PROGRESS <ok> failed=<n> a=<state> aCalls=<n> aFailed=<n> okA=<n> okB=<n> okC=<n> statuses=<..>};
 * {@code STOP} on standard input ends it with a last PROGRESS line and {@code DONE}.
 *
 * <p>Usage: {@code java -cp … dev.tofu.cluster.LinkCutClusterMain <address of a> <idle timeout ms>}
 */
public final class LinkCutClusterMain {
    private LinkCutClusterMain() {
    }

    public static void main(String[] args) throws Exception {
        Address a = Address.parse(args[0]);
        Duration idle = Duration.ofMillis(Long.parseLong(args[1]));
        try (Reactor rb = Reactor.create(Echo.options()); Reactor rc = Reactor.create(Echo.options());
             Reactor client = Reactor.create(Echo.options().withIdleTimeout(idle))) {
            Server b = Echo.start(rb, Address.tcpServer("127.0.0.1", 0), "b", Duration.ofMillis(1));
            Server c = Echo.start(rc, Address.tcpServer("127.0.0.1", 0), "c", Duration.ofMillis(1));
            // least outstanding: once calls hang on the cut link, new calls go to the servers that answer
            // (with round robin every caller would soon wait on a, and b's and c's channels, idle, would
            // reach the idle timeout too)
            ClusterOptions options = ClusterOptions.DEFAULT.withPolicy(ClusterOptions.Policy.LEAST_OUTSTANDING).withClientOptions(ClientOptions.DEFAULT
                    .withConnectTimeout(Duration.ofSeconds(1))
                    .withReconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500)));
            Map<String, LongAdder> ok = new ConcurrentHashMap<>();
            Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
            LongAdder failed = new LongAdder();
            AtomicBoolean stop = new AtomicBoolean();
            try (ClusterClient cluster = ClusterClient.connect(client, List.of(a, b.addresses().get(0), c.addresses().get(0)), options)) {
                if (cluster.stats().server(a).state() != ClusterStats.State.READY) {
                    System.out.println("ERROR a not reachable: " + cluster.stats());
                    System.exit(3);
                }
                List<Thread> callers = new ArrayList<>();
                for (int t = 0; t < 32; t++) {
                    int caller = t;
                    callers.add(Thread.ofVirtual().start(() -> {
                        for (int i = 0; !stop.get(); i++) {
                            try {
                                ok.computeIfAbsent(Echo.call(cluster, caller + "-" + i), k -> new LongAdder()).increment();
                            } catch (TofuException e) {
                                failed.increment();
                                statuses.computeIfAbsent(e.getClass().getSimpleName() + "/" + e.status(), k -> new LongAdder()).increment();
                                if (e.status() != Status.COMMUNICATION_FAILED) {
                                    LockSupport.parkNanos(1_000_000); // no busy loop if something else goes wrong
                                }
                            }
                        }
                    }));
                }
                System.out.println("READY");
                Thread.ofVirtual().start(() -> {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            if (line.equals("STOP")) {
                                break;
                            }
                        }
                    } catch (Exception ignored) {
                        // the test JVM went away
                    }
                    stop.set(true);
                });
                while (!stop.get()) {
                    progress(cluster, a, ok, failed, statuses);
                    LockSupport.parkNanos(100_000_000);
                }
                for (Thread t : callers) {
                    t.join(20_000);
                }
                progress(cluster, a, ok, failed, statuses);
                System.out.println("DONE");
            }
            b.close();
            c.close();
        }
        System.exit(0);
    }

    private static void progress(ClusterClient cluster, Address a, Map<String, LongAdder> ok, LongAdder failed,
                                 Map<String, LongAdder> statuses) {
        ClusterStats.Member m = cluster.stats().server(a);
        long total = ok.values().stream().mapToLong(LongAdder::sum).sum();
        Map<String, Long> st = new TreeMap<>();
        statuses.forEach((k, v) -> st.put(k, v.sum()));
        System.out.println("PROGRESS " + total + " failed=" + failed.sum() + " a=" + m.state() + " aCalls=" + m.calls()
                + " aFailed=" + m.failed() + " okA=" + get(ok, "a") + " okB=" + get(ok, "b") + " okC=" + get(ok, "c")
                + " statuses=" + st.toString().replace(" ", ""));
        System.out.flush();
    }

    private static long get(Map<String, LongAdder> m, String k) {
        LongAdder v = m.get(k);
        return v == null ? 0 : v.sum();
    }
}
