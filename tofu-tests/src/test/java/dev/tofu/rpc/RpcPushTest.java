package dev.tofu.rpc;

import dev.tofu.Client;
import dev.tofu.ClientOptions;
import dev.tofu.Reactor;
import dev.tofu.Server;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Push (issue 19): what the server sends unasked reaches the client's signal listener. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcPushTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aSignalSentBeforeTheHelloResponseReachesTheListener(Transport transport) throws Exception {
        AtomicReference<Server> serverRef = new AtomicReference<>();
        LinkedBlockingQueue<String> pushed = new LinkedBlockingQueue<>();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onConnect(hello -> {
                        Server s = serverRef.get();  // the connect hook runs before the HelloResponse is sent
                        s.send(hello.channel(), Rpc.text(s, "welcome"));
                        return null;
                    })
                    .onRequest(request -> request)
                    .start();
            serverRef.set(server);
            Client client = Client.connect(clientReactor, server.addresses().get(0),
                    ClientOptions.DEFAULT.withSignalListener(m -> pushed.add(Rpc.text(m))));
            assertEquals("welcome", pushed.poll(10, TimeUnit.SECONDS),
                    "issue 19: a Signal that arrives before the HelloResponse reaches the listener");
            assertEquals("still works", Rpc.call(client, "still works"));
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectionCallbacksChannelsBroadcastAndServerCurrentGiveWhatPushNeeds(Transport transport) throws Exception {
        int clients = 3;
        Set<Integer> connected = ConcurrentHashMap.newKeySet();
        LinkedBlockingQueue<Integer> disconnected = new LinkedBlockingQueue<>();
        Set<Integer> subscribed = ConcurrentHashMap.newKeySet();
        List<LinkedBlockingQueue<String>> inboxes = new ArrayList<>();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onConnected((s, ch) -> {
                        connected.add(ch);
                        s.send(ch, Rpc.text(s, "welcome"));          // after the HelloResponse
                    })
                    .onDisconnected((s, ch) -> disconnected.add(ch))
                    .onRequest(request -> {
                        Server me = Server.current();                // the handler reaches its server
                        subscribed.add(request.channel());
                        return Rpc.fill(me.newMessage(), "subscribed");
                    })
                    .start();
            List<Client> cs = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
                inboxes.add(inbox);
                cs.add(Client.connect(clientReactor, server.addresses().get(0),
                        ClientOptions.DEFAULT.withSignalListener(m -> inbox.add(Rpc.text(m)))));
            }
            for (int i = 0; i < clients; i++) {
                assertEquals("welcome", inboxes.get(i).poll(10, TimeUnit.SECONDS), "onConnected pushed to client " + i);
                assertEquals("subscribed", Rpc.call(cs.get(i), "subscribe"));
            }
            assertEquals(clients, connected.size());
            assertEquals(connected, subscribed, "the handler saw the same channels the callback did");
            assertEquals(Set.copyOf(server.channels()), connected, "channels() lists the connected clients");
            assertEquals(clients, server.stats().connectedClients());
            assertEquals(clients, server.broadcast(Rpc.text(server, "news")), "broadcast reaches every client");
            for (int i = 0; i < clients; i++) {
                assertEquals("news", inboxes.get(i).poll(10, TimeUnit.SECONDS), "client " + i + " got the broadcast");
            }
            cs.get(0).close();
            Integer gone = disconnected.poll(10, TimeUnit.SECONDS);
            assertNotNull(gone, "onDisconnected ran for the client that left");
            assertTrue(connected.contains(gone));
            assertTrue(NoLeaks.awaitTrue(() -> server.channels().size() == clients - 1, Duration.ofSeconds(10)));
            assertFalse(server.channels().contains(gone));
            assertThrows(IllegalStateException.class, Server::current, "only on a server's threads");
            for (int i = 1; i < clients; i++) {
                cs.get(i).close();
            }
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
