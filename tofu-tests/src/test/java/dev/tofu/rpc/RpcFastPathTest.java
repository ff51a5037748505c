package dev.tofu.rpc;

import dev.tofu.Client;
import dev.tofu.Message;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request/response fast path: responses handed from the client channel's reader straight to
 * the caller, one-frame requests handed from the server channel's reader straight to a reused
 * handler thread. What must not change: a multi-part request is never torn by a one-frame request
 * overtaking its parts, a handler thread carries nothing from one request to the next, and a
 * stopped server leaves no handler thread behind, idle or not.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcFastPathTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    @ParameterizedTest
    @EnumSource(Transport.class)
    void multiPartRequestsMixedWithOneFrameRequestsOnOneChannelArriveWhole(Transport transport) throws Exception {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Rpc.echoServer(serverReactor, transport);
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            AtomicInteger whole = new AtomicInteger();
            Rpc.callers(16, caller -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int i = 0; i < 40; i++) {
                    // every other call is over one frame's body: the client sends it as parts
                    int size = (caller + i) % 2 == 0 ? 16 + rnd.nextInt(64) : 65_536 + rnd.nextInt(140_000);
                    byte[] body = new byte[size];
                    rnd.nextBytes(body);
                    Message request = client.newMessage();
                    request.body().append(body);
                    try (Message response = client.call(request, Rpc.CALL)) {
                        assertArrayEquals(body, response.body().toByteArray(),
                                "a response echoes its whole request (" + size + " bytes)");
                    }
                    whole.incrementAndGet();
                }
            });
            assertEquals(16 * 40, whole.get());
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aHandlerThreadCarriesNoInterruptIntoItsNextRequest(Transport transport) throws Exception {
        Set<Thread> handlerThreads = ConcurrentHashMap.newKeySet();
        AtomicInteger sawInterrupt = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        handlerThreads.add(Thread.currentThread());
                        if (Thread.currentThread().isInterrupted()) {
                            sawInterrupt.incrementAndGet();
                        }
                        Thread.currentThread().interrupt(); // and leave the flag set
                        return request;
                    })
                    .maxConcurrencyPerChannel(1) // requests wait in the backlog: a worker runs them back to back
                    .start();
            try (Client client = Client.connect(clientReactor, server.addresses().get(0))) {
                for (int i = 0; i < 100; i++) { // one caller: a worker parks between requests
                    assertEquals("call " + i, Rpc.call(client, "call " + i));
                }
                Rpc.callers(8, caller -> {
                    for (int i = 0; i < 50; i++) {
                        assertEquals(caller + "/" + i, Rpc.call(client, caller + "/" + i));
                    }
                });
            }
            assertEquals(0, sawInterrupt.get(), "no request starts with the interrupt flag of an earlier one");
            assertTrue(handlerThreads.size() < 100,
                    "requests reuse handler threads (" + handlerThreads.size() + " threads for 500 requests)");
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void stopEndsEveryHandlerThreadBusyOrIdle(Transport transport) throws Exception {
        Set<Thread> handlerThreads = ConcurrentHashMap.newKeySet();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        handlerThreads.add(Thread.currentThread());
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            Rpc.callers(64, caller -> {
                for (int i = 0; i < 50; i++) {
                    assertEquals(caller + "/" + i, Rpc.call(client, caller + "/" + i));
                }
            });
            assertFalse(handlerThreads.isEmpty());
            client.close();
            server.stop(Duration.ofSeconds(5));
            Probe.awaitTrue(() -> handlerThreads.stream().noneMatch(Thread::isAlive), Duration.ofSeconds(10),
                    "every handler thread ended after stop (" + handlerThreads.size() + " were used)");
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
