package dev.tofu.cluster;

import dev.tofu.Address;
import dev.tofu.ClusterClient;
import dev.tofu.ClusterOptions;
import dev.tofu.ClusterStats;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
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
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changing the set at run time: an added server (here Unix-domain beside a TCP one) takes calls once
 * connected; a removed one takes no new call, finishes the calls it has, then its channels close.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ClusterMembershipTest {
    @RegisterExtension
    static final PinningGuard CLUSTER_THREADS = Echo.clusterThreads();

    @Test
    void addedServersTakeCallsRemovedOnesFinishTheirCallsThenClose() throws Exception {
        try (Reactor s1 = Reactor.create(Echo.options()); Reactor s2 = Reactor.create(Echo.options());
             Reactor client = Reactor.create(Echo.options())) {
            CountDownLatch held = new CountDownLatch(4);
            CountDownLatch release = new CountDownLatch(1);
            Server a = Server.builder(s1).listen(Transport.TCP.serverAddress())
                    .onRequest(request -> {
                        if (Echo.text(request).startsWith("hold")) {
                            held.countDown();
                            release.await();
                        }
                        String body = Echo.text(request);
                        request.body().clear();
                        request.body().append(("a:" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        return request;
                    })
                    .start();
            Server b = Echo.start(s2, Transport.UDS.serverAddress(), "b", Duration.ZERO);
            Address aa = a.addresses().get(0);
            Address ba = b.addresses().get(0);
            try (ClusterClient cluster = ClusterClient.connect(client, List.of(aa));
                 ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                assertEquals("a", Echo.call(cluster, "1"));
                assertFalse(cluster.add(aa), "already in the set");
                assertThrows(IllegalArgumentException.class, () -> cluster.add(Transport.TCP.serverAddress()));

                assertTrue(cluster.add(ba));
                Echo.awaitState(cluster, ba, ClusterStats.State.READY);
                assertEquals(List.of(aa, ba), cluster.addresses());
                List<String> who = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    who.add(Echo.call(cluster, "r" + i));
                }
                assertEquals(5, who.stream().filter("b"::equals).count(), "round robin over both: " + who);

                // four calls held on a; then a is removed
                List<Future<String>> onA = new ArrayList<>();
                for (int n = 0; held.getCount() > 0; n++) {
                    long heldBefore = held.getCount();
                    String body = "hold" + n;
                    Future<String> f = pool.submit(() -> {
                        try (Message r = cluster.call(Echo.request(cluster, body), Echo.CALL)) {
                            return Echo.text(r);
                        }
                    });
                    onA.add(f);
                    Probe.awaitTrue(() -> f.isDone() || held.getCount() < heldBefore, Echo.WAIT,
                            "the call is answered by b or held on a");
                }
                assertTrue(held.await(20, TimeUnit.SECONDS), "four calls held on a");
                assertTrue(cluster.remove(aa));
                assertFalse(cluster.remove(aa), "no longer in the set");
                assertEquals(List.of(ba), cluster.addresses());
                assertEquals(ClusterStats.State.REMOVED, Echo.state(cluster, aa), "still closing: " + cluster.stats());
                for (int i = 0; i < 20; i++) {
                    assertEquals("b", Echo.call(cluster, "after" + i), "no new call goes to a removed server");
                }
                assertEquals(1, a.channels().size(), "a's channel stays open while its calls run");
                release.countDown();
                for (Future<String> f : onA) {
                    String r = f.get(20, TimeUnit.SECONDS);
                    assertTrue(r.startsWith("a:hold") || r.startsWith("b:hold"), r);
                }
                Probe.awaitTrue(() -> Echo.state(cluster, aa) == null, Echo.WAIT, "a leaves the stats once closed: " + cluster.stats());
                Probe.awaitTrue(() -> a.channels().isEmpty(), Echo.WAIT, "a's channel closed after its calls");
                assertNull(cluster.stats().server(aa));
            }
            a.close();
            b.close();
        }
    }

    @Test
    void severalChannelsPerServerAreOpenedAndTakenInTurn() throws Exception {
        try (Reactor s1 = Reactor.create(Echo.options()); Reactor client = Reactor.create(Echo.options())) {
            Map<Integer, LongAdder> perChannel = new ConcurrentHashMap<>();
            List<Server> servers = new ArrayList<>();
            for (Transport t : List.of(Transport.TCP, Transport.UDS)) {
                servers.add(Server.builder(s1).listen(t.serverAddress())
                        .onRequest(request -> {
                            perChannel.computeIfAbsent(request.channel(), k -> new LongAdder()).increment();
                            String body = Echo.text(request);
                            request.body().clear();
                            request.body().append(("s:" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                            return request;
                        })
                        .start());
            }
            List<Address> addresses = servers.stream().map(x -> x.addresses().get(0)).toList();
            try (ClusterClient cluster = ClusterClient.connect(client, addresses,
                    ClusterOptions.DEFAULT.withChannelsPerServer(3))) {
                for (Address x : addresses) {
                    assertEquals(3, cluster.stats().server(x).openChannels(), cluster.stats().toString());
                }
                for (Server x : servers) {
                    // the server lists a channel once its HelloResponse is posted: the client may hear it first
                    Probe.awaitTrue(() -> x.channels().size() == 3, Echo.WAIT, "three channels on each server: " + x.channels());
                }
                for (int i = 0; i < 60; i++) {
                    Echo.call(cluster, "n" + i);
                }
                assertEquals(6, perChannel.size(), "every channel of both servers was used: " + perChannel);
                for (LongAdder n : perChannel.values()) {
                    assertEquals(10, n.sum(), "the servers in turn, each server's channels in turn: " + perChannel);
                }
            }
            Probe.awaitTrue(() -> servers.stream().allMatch(x -> x.channels().isEmpty()), Echo.WAIT,
                    "every channel closed with the client");
            servers.forEach(Server::close);
        }
    }
}
