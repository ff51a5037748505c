package dev.tofu.observability;

import dev.tofu.Address;
import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.TofuTimeoutException;
import dev.tofu.examples.RpcQuickstart;
import dev.tofu.examples.TofuMetrics;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The metrics recipe of docs/METRICS.md ({@link TofuMetrics}): real request/response traffic over
 * loopback between two reactors, and the Micrometer meters move as the traffic says they must.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class MicrometerRecipeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int CALLS = 25;

    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = new PinningGuard("tofu-client-");
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = new PinningGuard("tofu-server-");

    @Test
    void metersFollowRealTrafficBetweenTwoReactors() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            new TofuMetrics(serverReactor, Tags.of("reactor", "server")).bindTo(registry);
            new TofuMetrics(clientReactor, Tags.of("reactor", "client")).bindTo(registry);
            assertEquals(0.0, counter(registry, "tofu.messages", "client", "direction", "out"), "nothing sent yet");
            assertEquals(0.0, gauge(registry, "tofu.channels.open", "server", "kind", "listener"), "no listener yet");

            try (Server server = RpcQuickstart.startServer(serverReactor, Address.tcpServer("127.0.0.1", 0))) {
                assertEquals(1.0, gauge(registry, "tofu.channels.open", "server", "kind", "listener"), "the server's listener");
                long payload = 0;
                try (Client client = Client.connect(clientReactor, server.addresses().get(0))) {
                    TofuMetrics.forClient(client, Tags.of("reactor", "client")).bindTo(registry);
                    for (int i = 0; i < CALLS; i++) {
                        String name = "caller-" + i;
                        payload += name.length();
                        assertEquals("hello, " + name, RpcQuickstart.greet(client, name));
                    }
                    assertEquals(1.0, gauge(registry, "tofu.channels.open", "client", "kind", "client"), "one client channel");
                    assertEquals(1.0, gauge(registry, "tofu.channels.open", "server", "kind", "server"), "one accepted channel");
                    assertEquals(1.0, gauge(registry, "tofu.groups", "client", null, null), "the Client's group");

                    // a frame is counted when it is read, and after its write returns: wait for the writers
                    int frames = CALLS + 1;   // HelloRequest + requests; HelloResponse + responses
                    awaitCounter(registry, "tofu.messages", "client", "out", frames);
                    awaitCounter(registry, "tofu.messages", "server", "out", frames);
                    assertEquals(frames, counter(registry, "tofu.messages", "server", "direction", "in"), "server received");
                    assertEquals(frames, counter(registry, "tofu.messages", "client", "direction", "in"), "client received");
                    double sent = counter(registry, "tofu.bytes", "client", "direction", "out");
                    assertEquals(sent, counter(registry, "tofu.bytes", "server", "direction", "in"),
                            "the server read every byte the client wrote");
                    assertTrue(sent >= frames * 16 + payload, "16-byte headers and the bodies counted: " + sent);
                    assertTrue(gauge(registry, "tofu.pool.idle", "client", null, null) > 0, "written messages went back to the pool");
                    assertEquals(0.0, gauge(registry, "tofu.group.queue.messages", "client", null, null), "nothing left unread");

                    lateResponse(registry);
                }
                // Client.close() is a graceful close (ByeRequest / ByeResponse): reason channel_closed on both ends
                awaitClosed(registry, "client");
                awaitClosed(registry, "server");
                assertEquals(0.0, gauge(registry, "tofu.channels.open", "client", "kind", "client"), "client channel closed");
                assertEquals(0.0, counter(registry, "tofu.channels.closed", "client", "reason", "peer_disconnected"),
                        "a graceful close is not a lost peer");
            }
        }
    }

    /** A call that times out while its handler still runs; the response that comes later is counted late. */
    private static void lateResponse(MeterRegistry registry) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Reactor slowReactor = Reactor.create();
             Server slow = Server.builder(slowReactor)
                .listen(Address.tcpServer("127.0.0.1", 0))
                .onRequest(request -> {
                    release.await(WAIT.toSeconds(), TimeUnit.SECONDS);   // answers only once the caller gave up
                    return request;
                })
                .start();
             Reactor reactor = Reactor.create();
             Client client = Client.connect(reactor, slow.addresses().get(0))) {
            TofuMetrics.forClient(client, Tags.of("reactor", "late")).bindTo(registry);
            Message request = client.newMessage();
            request.body().append("late".getBytes(UTF_8));
            assertThrows(TofuTimeoutException.class, () -> client.call(request, Duration.ofMillis(200)));
            assertEquals(0.0, registry.get("tofu.client.late.responses").tag("reactor", "late").functionCounter().count(),
                    "nothing late yet");
            release.countDown();
            assertTrue(NoLeaks.awaitTrue(() -> registry.get("tofu.client.late.responses").tag("reactor", "late")
                    .functionCounter().count() == 1.0, WAIT), "the late response is counted once");
        }
    }

    private static void awaitCounter(MeterRegistry registry, String name, String reactor, String direction, double want) {
        assertTrue(NoLeaks.awaitTrue(() -> counter(registry, name, reactor, "direction", direction) == want, WAIT),
                name + " " + direction + " of " + reactor + " reaches " + want + ", is "
                        + counter(registry, name, reactor, "direction", direction));
    }

    private static void awaitClosed(MeterRegistry registry, String reactor) {
        assertTrue(NoLeaks.awaitTrue(() -> counter(registry, "tofu.channels.closed", reactor, "reason", "channel_closed") == 1.0, WAIT),
                reactor + ": one channel closed with channel_closed, is "
                        + counter(registry, "tofu.channels.closed", reactor, "reason", "channel_closed"));
    }

    private static double counter(MeterRegistry registry, String name, String reactor, String key, String value) {
        var search = registry.get(name).tag("reactor", reactor);
        return (key == null ? search : search.tag(key, value)).functionCounter().count();
    }

    private static double gauge(MeterRegistry registry, String name, String reactor, String key, String value) {
        var search = registry.get(name).tag("reactor", reactor);
        return (key == null ? search : search.tag(key, value)).gauge().value();
    }
}
