package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.engine.Engine;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed topics for the cookbook: one short, checked example each. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RecipesSeedTopicsTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void closingAListenerKeepsAcceptedChannelsButRefusesNewClients(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            Scenarios.closeListener(link.ampe, link.server, link.listener);   // §5.2 step 4
            if (link.address instanceof Address.UdsClient uds) {
                assertTrue(NoLeaks.awaitTrue(() -> !Files.exists(Path.of(uds.path())), Wire.WAIT),
                        "§4/§5.2: the UDS file is removed when the listener closes");
            }
            Wire.send(link.ampe, link.client, c.client(), OpCode.REQUEST, 11, "still here");
            Message req = Wire.await(link.server, m -> m.opCode() == OpCode.REQUEST);
            link.server.post(req.opCode(OpCode.RESPONSE));
            Message resp = Wire.await(link.client, m -> m.opCode() == OpCode.RESPONSE);
            assertEquals(11, resp.messageId(), "§5.2 step 4: accepted channels stay open");
            resp.close();
            int late = Wire.hello(link.ampe, link.client, link.address).channel();
            Message failed = Wire.await(link.client, m -> m.channel() == late);
            assertAll(
                    () -> assertTrue(failed.isFromEngine(), "§5.3: nobody listens any more: " + failed),
                    () -> assertTrue(Set.of(Status.CONNECT_FAILED, Status.UDS_PATH_NOT_FOUND).contains(failed.status()),
                            "§5.3: " + failed.status()));
            failed.close();
        }
    }

    @Test
    void closedChannelNumberIsReleasedAndPostingToItFailsWithInvalidChannelNumber() {
        try (Link link = new Link(Transport.TCP)) {
            Engine engine = (Engine) link.ampe;
            Link.Conn c = link.connect();
            assertEquals(3, engine.openChannels(), "listener + client + server channel");
            Wire.send(link.ampe, link.client, c.client(), OpCode.BYE_SIGNAL, 0, null);
            Wire.await(link.client, m -> Wire.isCloseSignal(m, c.client())).close();
            Wire.await(link.server, m -> Wire.isCloseSignal(m, c.server())).close();
            assertTrue(NoLeaks.awaitTrue(() -> engine.openChannels() == 1, Wire.WAIT),
                    "§5.6/§9 item 5: closed numbers are released");
            try (Message m = link.ampe.get(AllocationStrategy.ALWAYS)) {
                m.opCode(OpCode.REQUEST).channel(c.client());
                TofuException e = assertThrows(TofuException.class, () -> link.client.post(m));
                assertEquals(Status.INVALID_CHANNEL_NUMBER, e.status(), "§9 item 5: post to a closed channel");
                assertEquals(Status.INVALID_CHANNEL_NUMBER, m.status(), "§2.2: the message stays with the caller, status set");
            }
            Link.Conn again = link.connect();
            assertNotEquals(c.client(), again.client(), "§5.1: a closed number is quarantined, not re-issued at once");
        }
    }

    @Test
    void poolHandsOutItsInitialMessagesThenNullForPoolOnlyButAlwaysCreates() {
        assertEquals(16, Options.DEFAULT.initialPoolMsgs(), "§6.1 default initial");
        assertEquals(64, Options.DEFAULT.maxPoolMsgs(), "§6.1 default max");
        try (Reactor reactor = Reactor.create(Options.of(3, 5))) {
            Ampe ampe = reactor.ampe();
            List<Message> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(ampe.get(AllocationStrategy.POOL_ONLY));
            }
            assertFalse(held.contains(null), "§6.2: the 3 initial messages");
            assertNull(ampe.get(AllocationStrategy.POOL_ONLY), "§6.2: POOL_ONLY on an empty pool → null");
            for (int i = 0; i < 3; i++) {
                held.add(ampe.get(AllocationStrategy.ALWAYS));
            }
            assertFalse(held.contains(null), "§6.2: ALWAYS never returns null");
            var lastKept = MessageAccess.get().store(held.get(4));     // the storage behind the 5th
            held.forEach(ampe::put);                                   // 6 put, max 5 kept
            List<Message> again = new ArrayList<>();
            Message m;
            while ((m = ampe.get(AllocationStrategy.POOL_ONLY)) != null) {
                again.add(m);
            }
            assertEquals(5, again.size(), "§6.2: put beyond maxPoolMsgs discards");
            assertTrue(lastKept == MessageAccess.get().store(again.get(0)),
                    "§6.2: LIFO reuse: the storage of the last message kept comes out first");
            assertTrue(held.get(4) != again.get(0), "API.md: ... as a new reference (a new lease)");
            again.forEach(ampe::put);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void puttingANewMessageGrowsThePool() {
        try (Reactor reactor = Reactor.create(Options.of(1, 8))) {
            Ampe ampe = reactor.ampe();
            Message only = ampe.get(AllocationStrategy.POOL_ONLY);
            assertNull(ampe.get(AllocationStrategy.POOL_ONLY), "the 1-message pool is empty");
            Message mine = new Message();
            mine.opCode(OpCode.SIGNAL).messageId(5).body().append(new byte[] {1});
            var mineStorage = MessageAccess.get().store(mine);
            ampe.put(mine);
            Message got = ampe.get(AllocationStrategy.POOL_ONLY);
            assertTrue(mineStorage == MessageAccess.get().store(got), "§6.2: any message may be put; it grows the pool");
            assertAll(
                    () -> assertEquals(OpCode.REQUEST, got.opCode(), "§6.2: put resets the message"),
                    () -> assertEquals(0, got.messageId(), "§6.2"),
                    () -> assertEquals(0, got.body().length(), "§6.2"));
            ampe.put(got);
            ampe.put(only);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void eachGroupReceivesOnlyItsOwnChannelsMessages() {
        try (Link link = new Link(Transport.UDS)) {
            ChannelGroup a = link.client;
            ChannelGroup b = link.ampe.create();
            try {
                Link.Conn ca = link.connect(a);
                Link.Conn cb = link.connect(b);
                Wire.send(link.ampe, link.server, ca.server(), OpCode.SIGNAL, 1, "to a");
                Wire.send(link.ampe, link.server, cb.server(), OpCode.SIGNAL, 2, "to b");
                Message ma = a.waitReceive(Wire.WAIT);
                Message mb = b.waitReceive(Wire.WAIT);
                assertAll(
                        () -> assertEquals(ca.client(), ma.channel(), "§5.1: group A gets only A's channel"),
                        () -> assertEquals(1, ma.messageId(), "§5.1"),
                        () -> assertEquals(cb.client(), mb.channel(), "§5.1: group B gets only B's channel"),
                        () -> assertEquals(2, mb.messageId(), "§5.1"));
                ma.close();
                mb.close();
                assertNull(a.waitReceive(Duration.ofMillis(100)), "§5.1: nothing of B's reaches A");
                try (Message wrong = link.ampe.get(AllocationStrategy.ALWAYS)) {
                    wrong.opCode(OpCode.REQUEST).channel(ca.client());
                    TofuException e = assertThrows(TofuException.class, () -> b.post(wrong));
                    assertEquals(Status.INVALID_CHANNEL_GROUP, e.status(), "§2.2 rule 11: channel of another group");
                }
            } finally {
                link.ampe.destroy(b);
            }
        }
    }

    @Test
    void oneServerGroupListensOnTcpAndUdsAtOnce() {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener tcp = Wire.listen(ampe, server, Transport.TCP.serverAddress());
            Wire.Listener uds = Wire.listen(ampe, server, Transport.UDS.serverAddress());
            for (Wire.Listener l : List.of(tcp, uds)) {
                int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
                Wire.send(ampe, client, cch, OpCode.REQUEST, 300, l.clientAddress().value());
                Message req = Wire.await(server, m -> m.opCode() == OpCode.REQUEST);
                assertEquals(l.clientAddress().value(), new String(req.body().toByteArray(), StandardCharsets.UTF_8),
                        "one group serves both transports");
                server.post(req.opCode(OpCode.RESPONSE));
                Message resp = Wire.await(client, m -> m.opCode() == OpCode.RESPONSE);
                assertEquals(cch, resp.channel(), "the answer returns on the right client channel");
                resp.close();
            }
            ampe.destroy(client);
            ampe.destroy(server);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void updateReceiverWakesAReceiverBlockedOnAnotherThread() throws InterruptedException {
        try (Reactor reactor = Reactor.create()) {
            ChannelGroup g = reactor.ampe().create();
            AtomicReference<Status> seen = new AtomicReference<>();
            Thread receiver = Thread.ofVirtual().start(() -> {
                Message m = g.waitReceive(ChannelGroup.INFINITE);
                seen.set(m.status());
                m.close();
            });
            assertTrue(NoLeaks.awaitTrue(() -> receiver.getState() == Thread.State.WAITING
                    || receiver.getState() == Thread.State.TIMED_WAITING, Wire.WAIT), "the receiver blocks");
            g.updateReceiver(null);
            assertTrue(receiver.join(Wire.WAIT), "§6.7: updateReceiver wakes a blocked waiter");
            assertEquals(Status.RECEIVER_UPDATE, seen.get(), "§6.7");
            g.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aReceivedRequestIsReusedAsItsResponse(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            Message out = link.ampe.get(AllocationStrategy.ALWAYS);
            out.opCode(OpCode.REQUEST).channel(c.client()).headers().append("kind", "greeting");
            out.body().append("hello".getBytes(StandardCharsets.UTF_8));
            long id = link.client.post(out).messageId();
            Message req = Wire.await(link.server, m -> m.opCode() == OpCode.REQUEST);
            link.server.post(req.opCode(OpCode.RESPONSE));           // only the opcode changes
            Message resp = Wire.await(link.client, m -> m.opCode() == OpCode.RESPONSE);
            assertAll(
                    () -> assertEquals(id, resp.messageId(), "§5.4: reusing the message keeps the id"),
                    () -> assertEquals("greeting", resp.headers().get("kind"), "headers travel back"),
                    () -> assertEquals("hello", new String(resp.body().toByteArray(), StandardCharsets.UTF_8), "body travels back"),
                    () -> assertEquals(Origin.APPLICATION, resp.origin(), "§1.7"));
            resp.close();
        }
    }

    @Test
    void waitReceiveZeroDrainsTheQueueInFifoOrderThenReturnsNull() {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            for (int i = 1; i <= 5; i++) {
                g.updateReceiver(ampe.get(AllocationStrategy.ALWAYS).messageId(i));
            }
            List<Long> ids = new ArrayList<>();
            Message m;
            while ((m = g.waitReceive(Duration.ZERO)) != null) {
                ids.add(m.messageId());
                m.close();
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), ids, "§6.5/§6.7: waitReceive(0) drains in FIFO order");
            assertNull(g.waitReceive(Duration.ZERO), "§6.5: then null without blocking");
            g.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void cleanShutdownStopsReceiversThenDestroysGroupsThenClosesTheEngine() throws InterruptedException {
        Reactor reactor = Reactor.create();
        Ampe ampe = reactor.ampe();
        ChannelGroup server = ampe.create();
        Wire.Listener l = Wire.listen(ampe, server, Transport.TCP.serverAddress());
        assertTrue(l.channel() > 0);
        Thread receiver = Thread.ofVirtual().start(() -> {
            while (true) {
                Message m = server.waitReceive(ChannelGroup.INFINITE);
                boolean stop = m.status() == Status.RECEIVER_UPDATE;
                m.close();
                if (stop) {
                    return;
                }
            }
        });
        server.updateReceiver(null);                                  // 1. stop the receiver
        assertTrue(receiver.join(Wire.WAIT), "§6.9: updateReceiver(null) stops the receiver thread");
        ampe.destroy(server);                                         // 2. destroy groups (closes the listener)
        NoLeaks.assertAtRest(reactor);
        reactor.close();                                              // 3. close the engine
        TofuException e = assertThrows(TofuException.class, ampe::create);
        assertEquals(Status.SHUTDOWN_STARTED, e.status(), "§6.9: create after close");
        assertTrue(NoLeaks.awaitTrue(() -> Engine.liveThreads() == 0, Wire.WAIT), "§6.9: no engine thread left");
    }
}
