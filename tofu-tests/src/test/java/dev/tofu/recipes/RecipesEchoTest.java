package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Recipes R16–R19 (PROTOCOL.md §7): echo servers — multi-homed with services, and the first server/client. */
@Timeout(90)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RecipesEchoTest {
    private static final int CLIENTS_PER_ADDRESS = 8;
    private static final int REQUESTS = 1000;

    @Test
    void r16MultiHomedEchoAnswersEveryRequestOfEveryClientInOrder() throws Exception {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            EchoService echo = new EchoService();
            MultiHomedServer server = new MultiHomedServer(serverReactor.ampe(), echo);
            List<Address> addresses = server.start(Transport.TCP.serverAddress(), Transport.UDS.serverAddress());
            assertEquals(2, addresses.size(), "R16: one TCP and one UDS listener");

            AtomicReference<Throwable> error = new AtomicReference<>();
            List<Thread> clients = new ArrayList<>();
            for (Address address : addresses) {
                for (int i = 0; i < CLIENTS_PER_ADDRESS; i++) {
                    clients.add(Thread.ofVirtual().name("r16-client-" + address.value() + "-" + i)
                            .start(Scenarios.guard(error, () -> echoClient(clientReactor.ampe(), address, REQUESTS))));
                }
            }
            for (Thread t : clients) {
                assertTrue(t.join(Duration.ofSeconds(60)), "R16: client " + t.getName() + " finished");
            }
            if (error.get() != null) {
                throw new AssertionError("R16: a client failed", error.get());
            }
            assertEquals((long) REQUESTS * clients.size(), echo.echoed(), "R16: the server echoed every request");
            assertEquals(null, server.stopReason(), "R17: the server loop is still running");
            server.stop();
            assertEquals("receiver_update", server.stopReason(), "R17: stop() ends the loop through receiver_update");
            NoLeaks.assertAtRest(serverReactor);
            NoLeaks.assertAtRest(clientReactor);
        }
    }

    /** R16 client: connect, {@code n} requests with ids 1..n, one Response each in order, ByeSignal, close Signal. */
    static void echoClient(Ampe ampe, Address address, int n) {
        try (ChannelGroup g = ampe.create()) {
            int ch = Wire.hello(ampe, g, address).channel();
            Message hr = next(ampe, g);
            assertEquals(OpCode.HELLO_RESPONSE, hr.opCode(), "R16: connected: " + hr);
            assertFalse(hr.isFromEngine(), "R16: HelloResponse from the server: " + hr);
            hr.close();
            for (long id = 1; id <= n; id++) {
                Wire.send(ampe, g, ch, OpCode.REQUEST, id, Long.toString(id));
            }
            for (long id = 1; id <= n; id++) {
                Message r = next(ampe, g);
                try {
                    assertEquals(OpCode.RESPONSE, r.opCode(), "R16: a Response: " + r);
                    assertEquals(id, r.messageId(), "R16: responses match ids 1..M in order");
                    assertEquals(Long.toString(id), new String(r.body().toByteArray(), StandardCharsets.UTF_8), "R16: echoed body");
                } finally {
                    r.close();
                }
            }
            Wire.send(ampe, g, ch, OpCode.BYE_SIGNAL, 0, null);
            Wire.await(g, m -> Wire.isCloseSignal(m, ch)).close();
        }
    }

    /** Next message, refilling the pool on pool_empty (§6.6). */
    private static Message next(Ampe ampe, ChannelGroup g) {
        while (true) {
            Message m = g.waitReceive(Wire.WAIT);
            if (m == null) {
                fail("no message within " + Wire.WAIT);
            }
            if (m.isFromEngine() && m.status() == Status.POOL_EMPTY) {
                ampe.put(new Message());
                m.close();
                continue;
            }
            return m;
        }
    }

    @Test
    void r17StopWakesTheLoopWithReceiverUpdateAndDestroysTheGroup() throws Exception {
        try (Reactor reactor = Reactor.create()) {
            MultiHomedServer server = new MultiHomedServer(reactor.ampe(), new EchoService());
            server.start(Transport.TCP.serverAddress(), Transport.UDS.serverAddress());
            assertEquals(2, server.listenerChannels().size(), "R17: two listeners started one by one");
            server.stop();
            assertEquals("receiver_update", server.stopReason(), "R17: receiver_update → stop");
            TofuException e = assertThrows(TofuException.class, () -> server.group().updateReceiver(null));
            assertEquals(Status.SHUTDOWN_STARTED, e.status(), "R17: stop() destroys the group");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r17MessageOnAListenerChannelMeansTheListenerFailedAndStopsTheLoop() throws Exception {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            AtomicReference<MultiHomedServer> self = new AtomicReference<>();
            Services closesListenerOnRequest = new Services() {
                private ChannelGroup group;

                @Override
                public void start(Ampe a, ChannelGroup g) {
                    group = g;
                }

                @Override
                public boolean onMessage(Message m) {
                    if (m.opCode() == OpCode.REQUEST) {
                        int listener = self.get().listenerChannels().iterator().next();
                        group.post(m.opCode(OpCode.BYE_SIGNAL).channel(listener));   // the listener "fails"
                    } else {
                        m.close();
                    }
                    return true;
                }

                @Override
                public void stop() {
                }
            };
            MultiHomedServer server = new MultiHomedServer(ampe, closesListenerOnRequest);
            self.set(server);
            Address at = server.start(Transport.TCP.serverAddress()).get(0);
            ChannelGroup client = ampe.create();
            int ch = Wire.hello(ampe, client, at).channel();
            Wire.send(ampe, client, ch, OpCode.REQUEST, 5, null);
            assertTrue(server.awaitStopped(Wire.WAIT), "R17: a message on a listener channel stops the loop");
            assertTrue(server.stopReason().startsWith("listener"), "R17: listener failed → stop: " + server.stopReason());
            server.stop();
            client.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r17MessageArrivingWhileListenersStartIsBufferedAndHandledFirst() throws Exception {
        try (Reactor reactor = Reactor.create()) {
            EchoService echo = new EchoService();
            MultiHomedServer server = new MultiHomedServer(reactor.ampe(), echo);
            server.group().updateReceiver(null);          // arrives before any WelcomeResponse
            server.start(Transport.TCP.serverAddress(), Transport.UDS.serverAddress());
            assertTrue(server.awaitStopped(Wire.WAIT), "R17: the buffered stop request is honoured after start");
            assertEquals("receiver_update", server.stopReason(), "R17: buffered, not lost");
            server.stop();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r17FailingListenerAtStartThrowsAndDestroysTheGroup() {
        try (Reactor reactor = Reactor.create()) {
            MultiHomedServer server = new MultiHomedServer(reactor.ampe(), new EchoService());
            TofuException e = assertThrows(TofuException.class,
                    () -> server.start(Transport.TCP.serverAddress(), Address.tcpServer("192.128.4.5", 3298)));
            assertTrue(Set.of(Status.LISTEN_FAILED, Status.INVALID_ADDRESS).contains(e.status()),
                    "R17/R8: the failed listener's status: " + e.status());
            assertThrows(TofuException.class, () -> server.group().updateReceiver(null), "R17: group destroyed");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r18EchoServiceAnswersRequestsWithResponsesAndSendsSignalsBack(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            MultiHomedServer server = new MultiHomedServer(ampe, new EchoService());
            Address at = server.start(transport.serverAddress()).get(0);
            ChannelGroup client = ampe.create();
            int ch = Wire.hello(ampe, client, at).channel();
            Wire.await(client, m -> m.opCode() == OpCode.HELLO_RESPONSE && !m.isFromEngine()).close();
            Wire.send(ampe, client, ch, OpCode.SIGNAL, 31, "beat");
            Message sig = Wire.await(client, m -> m.channel() == ch);
            assertEquals(OpCode.SIGNAL, sig.opCode(), "R18: a Signal is sent back as a Signal");
            assertEquals(31, sig.messageId(), "R18");
            assertEquals("beat", new String(sig.body().toByteArray(), StandardCharsets.UTF_8), "R18");
            sig.close();
            Wire.send(ampe, client, ch, OpCode.REQUEST, 32, "q");
            Message resp = Wire.await(client, m -> m.channel() == ch);
            assertEquals(OpCode.RESPONSE, resp.opCode(), "R18: request → echo opcode");
            assertEquals(32, resp.messageId(), "R18");
            resp.close();
            client.close();
            server.stop();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r18EchoServiceStopsTheServerAfterItsQuota() throws Exception {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            EchoService echo = new EchoService(3);
            MultiHomedServer server = new MultiHomedServer(ampe, echo);
            Address at = server.start(Transport.UDS.serverAddress()).get(0);
            ChannelGroup client = ampe.create();
            int ch = Wire.hello(ampe, client, at).channel();
            for (int id = 1; id <= 3; id++) {
                Wire.send(ampe, client, ch, OpCode.REQUEST, id, null);
            }
            assertTrue(server.awaitStopped(Wire.WAIT), "R18: onMessage returns false after the quota");
            assertEquals("services", server.stopReason(), "R18");
            assertEquals(3, echo.echoed(), "R18: quota of 3 requests");
            client.close();
            server.stop();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r18CancelledEchoServiceStopsAtTheNextMessage() throws Exception {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            EchoService echo = new EchoService();
            MultiHomedServer server = new MultiHomedServer(ampe, echo);
            Address at = server.start(Transport.TCP.serverAddress()).get(0);
            echo.cancel();
            assertFalse(server.awaitStopped(Duration.ZERO), "R18: cancel alone does not stop a waiting loop");
            ChannelGroup client = ampe.create();
            Wire.hello(ampe, client, at);                 // the HelloRequest is the next message
            assertTrue(server.awaitStopped(Wire.WAIT), "R18: cancelled → onMessage returns false");
            assertEquals("services", server.stopReason(), "R18");
            client.close();
            server.stop();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r18PoolEmptySignalMakesEchoServiceAddAMessageSoReadingResumes() throws Exception {
        try (Reactor serverReactor = Reactor.create(Options.of(1, 1024)); Reactor clientReactor = Reactor.create()) {
            EchoService echo = new EchoService();
            MultiHomedServer server = new MultiHomedServer(serverReactor.ampe(), echo);
            Address at = server.start(Transport.TCP.serverAddress()).get(0);
            echoClient(clientReactor.ampe(), at, 200);    // would stall forever without the refills
            assertTrue(echo.poolEmptySeen() >= 1, "R18/§6.6: a 1-message pool starves and reports pool_empty");
            assertEquals(200, echo.echoed(), "R18: every request answered after the refills");
            server.stop();
            NoLeaks.assertAtRest(serverReactor);
            NoLeaks.assertAtRest(clientReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r19FirstClientGetsItsPingEchoedByTheFirstServer(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create()) {
            EchoServer server = new EchoServer(reactor.ampe(), transport.serverAddress());
            assertEquals("ping", EchoClient.ping(reactor.ampe(), server.address(), "ping"), "R19: Request → Response echo");
            assertEquals("again", EchoClient.ping(reactor.ampe(), server.address(), "again"), "R19: the server keeps serving");
            server.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r19ClientFailsCleanlyWhenNoServerListens() {
        try (Reactor reactor = Reactor.create()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EchoClient.ping(reactor.ampe(), Address.tcpClient("127.0.0.1", Endpoints.freeTcpPort()), "ping"));
            assertNotNull(e.getMessage(), "R19: the client reports the failed HelloResponse");
            NoLeaks.assertAtRest(reactor);
        }
    }
}
