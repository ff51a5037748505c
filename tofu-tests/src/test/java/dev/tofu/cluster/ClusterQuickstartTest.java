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
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's "Running several servers" example, verbatim between the markers. */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ClusterQuickstartTest {
    @Test
    void readmeExample() {
        try (Reactor serverReactor = Reactor.create(); Reactor reactor = Reactor.create()) {
            Server one = Echo.start(serverReactor, Transport.TCP.serverAddress(), "one", Duration.ZERO);
            Server two = Echo.start(serverReactor, Transport.TCP.serverAddress(), "two", Duration.ZERO);
            Server three = Echo.start(serverReactor, Transport.UDS.serverAddress(), "three", Duration.ZERO);
            List<Address> servers = List.of(one.addresses().get(0), two.addresses().get(0));
            Address another = three.addresses().get(0);
            String answer;
            ClusterStats stats;
            // README: begin
            try (ClusterClient cluster = ClusterClient.connect(reactor, servers,
                    ClusterOptions.DEFAULT.withPolicy(ClusterOptions.Policy.LEAST_OUTSTANDING))) {
                Message request = cluster.newMessage();
                request.body().append("tofu".getBytes(UTF_8));
                try (Message response = cluster.call(request, Duration.ofSeconds(1))) { // a live server answers
                    answer = new String(response.body().toByteArray(), UTF_8);
                }
                cluster.add(another);             // TCP and UDS mix; feed it from your discovery
                cluster.remove(servers.get(0));   // takes no new call, finishes its calls, then closes
                stats = cluster.stats();          // per server: calls, failures, in flight, state
            }
            // README: end
            assertEquals("one:tofu", answer);
            ClusterStats.Member removed = stats.server(servers.get(0)); // listed until its channels closed
            assertTrue(removed == null || removed.state() == ClusterStats.State.REMOVED, stats.toString());
            assertEquals(ClusterStats.State.READY, stats.server(servers.get(1)).state());
            assertEquals(1, stats.succeeded());
            one.close();
            two.close();
            three.close();
        }
    }
}
