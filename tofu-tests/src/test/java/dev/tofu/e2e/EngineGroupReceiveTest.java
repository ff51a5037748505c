package dev.tofu.e2e;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.engine.Group;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channel groups, waitReceive and updateReceiver (PROTOCOL.md §6.3, §6.5, §6.7, §6.9; recipe R12).
 */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EngineGroupReceiveTest {

    @Test
    void waitReceiveOnAnEmptyGroupTimesOutWithNull() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            ChannelGroup g = reactor.ampe().create();
            assertNull(g.waitReceive(Duration.ofNanos(100)), "R12 / §6.5: timeout on an empty group returns null");
            assertNull(g.waitReceive(Duration.ZERO), "§6.5: a poll on an empty group returns null");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void updateReceiverWithNullDeliversAnEngineReceiverUpdateSignal() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            ChannelGroup g = reactor.ampe().create();
            g.updateReceiver(null);
            Message m = g.waitReceive(Wire.WAIT);
            assertNotNull(m, "§6.7: updateReceiver wakes the receiver");
            assertEquals(OpCode.SIGNAL, m.opCode(), "R12 / §6.7: a Signal");
            assertEquals(Origin.ENGINE, m.origin(), "R12 / §6.7: origin engine");
            assertEquals(0, m.channel(), "R12 / §6.7: channel 0");
            assertEquals(0L, m.messageId(), "R12 / §6.7: message id 0");
            assertEquals(Status.RECEIVER_UPDATE, m.status(), "R12 / §6.7: status receiver_update");
            m.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void aReinjectedMessageArrivesAsAnApplicationRequestWithReceiverUpdate() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            ChannelGroup g = reactor.ampe().create();
            g.updateReceiver(null);
            Message m = g.waitReceive(Wire.WAIT);
            assertNotNull(m);
            m.opCode(OpCode.REQUEST).messageId(1);
            g.updateReceiver(m);
            assertThrows(IllegalStateException.class, () -> m.messageId(2), "§6.7: ownership moves to the engine");
            Message back = g.waitReceive(Wire.WAIT);
            assertNotNull(back, "§6.7: the injected message is delivered");
            assertEquals(Origin.APPLICATION, back.origin(), "R12 / §6.7: origin := application");
            assertEquals(OpCode.REQUEST, back.opCode(), "R12: role request kept");
            assertEquals(Status.RECEIVER_UPDATE, back.status(), "R12 / §6.7: status := receiver_update");
            assertEquals(1L, back.messageId(), "§6.7: delivered as is");
            back.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void updateReceiverKeepsFifoOrderWithReceivedFrames() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, Transport.TCP.serverAddress());
            int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();
            int queued = 0;
            for (long id = 1; id <= 6; id++) {
                if (id % 2 == 1) {
                    Message u = ampe.get(AllocationStrategy.ALWAYS);
                    u.opCode(OpCode.SIGNAL).messageId(id);
                    server.updateReceiver(u);
                } else {
                    Wire.send(ampe, client, cch, OpCode.REQUEST, id, "frame " + id);
                }
                int expected = ++queued;
                Probe.awaitTrue(() -> ((Group) server).queued() >= expected, Wire.WAIT, "message " + id + " queued");
            }
            for (long id = 1; id <= 6; id++) {
                Message m = server.waitReceive(Wire.WAIT);
                assertNotNull(m);
                assertEquals(id, m.messageId(), "§6.7: updateReceiver appends to the same FIFO as frames");
                assertEquals(id % 2 == 1 ? Status.RECEIVER_UPDATE : Status.SUCCESS, m.status());
                assertEquals(id % 2 == 1 ? 0 : sch, m.channel());
                m.close();
            }
            Probe.byeSignal(ampe, client, cch);
            Probe.awaitCloseSignals(client, cch);
            Probe.awaitCloseSignals(server, sch);
            Probe.closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void aWaiterBlockedForeverIsWokenByUpdateReceiver() throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            ChannelGroup g = reactor.ampe().create();
            Waiter w = Waiter.start(g);
            w.awaitParked();
            g.updateReceiver(null);
            Message m = w.result();
            assertEquals(Status.RECEIVER_UPDATE, m.status(), "§6.7: the blocked waiter receives the update");
            m.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void aSecondConcurrentWaitReceiveIsNotAllowed() throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            ChannelGroup g = reactor.ampe().create();
            Waiter w = Waiter.start(g);
            w.awaitParked();
            TofuException e = assertThrows(TofuException.class, () -> g.waitReceive(Duration.ZERO),
                    "API.md threading rules: a second concurrent waitReceive fails");
            assertEquals(Status.NOT_ALLOWED, e.status(), "API.md threading rules / §6.8: NotAllowed");
            g.updateReceiver(null);
            w.result().close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void destroyWakesABlockedWaiterWithShutdownStarted() throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Waiter w = Waiter.start(g);
            w.awaitParked();
            ampe.destroy(g);
            assertEquals(Status.SHUTDOWN_STARTED, w.failure().status(), "§6.3: destroy wakes the waiter with ShutdownStarted");
            TofuException e = assertThrows(TofuException.class, () -> g.waitReceive(Duration.ZERO));
            assertEquals(Status.SHUTDOWN_STARTED, e.status(), "§6.3: later waitReceive raises ShutdownStarted");
            e = assertThrows(TofuException.class, () -> g.updateReceiver(null));
            assertEquals(Status.SHUTDOWN_STARTED, e.status(), "§6.7: updateReceiver on a destroyed group");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void reactorCloseWakesABlockedWaiterAndReturnsPromptlyWithOpenChannels(Transport transport) throws Exception {
        Reactor reactor = Reactor.create(Options.DEFAULT);
        Ampe ampe = reactor.ampe();
        ChannelGroup server = ampe.create();
        ChannelGroup client = ampe.create();
        Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
        int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
        Wire.send(ampe, client, cch, OpCode.REQUEST, 5, "queued");
        Wire.await(server, m -> m.opCode() == OpCode.REQUEST).close();
        assertEquals(3, ((dev.tofu.internal.engine.Engine) ampe).openChannels(), "listener, client, server open");
        Waiter w = Waiter.start(client);
        w.awaitParked();
        long t0 = System.nanoTime();
        reactor.close();
        long took = System.nanoTime() - t0;
        assertTrue(took < TimeUnit.SECONDS.toNanos(3), "§8 robustness / §6.9: engine close with open channels returns promptly, took "
                + TimeUnit.NANOSECONDS.toMillis(took) + " ms");
        assertEquals(Status.SHUTDOWN_STARTED, w.failure().status(), "§6.9 (Java): close wakes blocked waiters with ShutdownStarted");
        assertEquals(0, ((dev.tofu.internal.engine.Engine) ampe).openChannels(), "§6.9: every channel closed");
        TofuException e = assertThrows(TofuException.class, ampe::create);
        assertEquals(Status.SHUTDOWN_STARTED, e.status(), "§6.3/§6.9: create after close");
        if (transport == Transport.UDS) {
            String path = ((dev.tofu.Address.UdsClient) l.clientAddress()).path();
            assertFalse(Files.exists(Path.of(path)), "§6.9: UDS listener files removed on engine close");
        }
    }

    @Test
    void severalGroupsEachReceiveOnlyTheirOwnChannelsMessages() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, Transport.TCP.serverAddress());
            int n = 3;
            List<ChannelGroup> clients = new ArrayList<>();
            int[] cch = new int[n];
            for (int i = 0; i < n; i++) {
                clients.add(ampe.create());
                cch[i] = Wire.hello(ampe, clients.get(i), l.clientAddress()).channel();
                Wire.send(ampe, clients.get(i), cch[i], OpCode.REQUEST, 100 + i, "from " + i);
            }
            // the server echoes every request back as a response
            int echoed = 0;
            List<Integer> serverChannels = new ArrayList<>();
            while (echoed < n) {
                Message m = Wire.await(server, x -> x.opCode() == OpCode.REQUEST || x.opCode() == OpCode.HELLO_REQUEST);
                if (m.opCode() == OpCode.HELLO_REQUEST) {
                    serverChannels.add(m.channel());
                    m.close();
                    continue;
                }
                assertTrue(serverChannels.contains(m.channel()), "§5.4: requests arrive on server channels of this group");
                m.opCode(OpCode.RESPONSE);
                server.post(m);
                echoed++;
            }
            for (int i = 0; i < n; i++) {
                Message r = clients.get(i).waitReceive(Wire.WAIT);
                assertNotNull(r);
                assertEquals(cch[i], r.channel(), "§5.1: a group receives only messages of its own channels");
                assertEquals(100 + i, r.messageId(), "§5.1: each client gets its own echo");
                r.close();
                assertNull(clients.get(i).waitReceive(Duration.ofMillis(50)), "§5.1: nothing from other groups' channels");
            }
            clients.get(1).updateReceiver(null);
            assertNull(clients.get(0).waitReceive(Duration.ofMillis(50)), "§6.7: updateReceiver reaches only its group");
            clients.get(1).waitReceive(Wire.WAIT).close();
            for (int i = 0; i < n; i++) {
                Probe.byeSignal(ampe, clients.get(i), cch[i]);
                Probe.awaitCloseSignals(clients.get(i), cch[i]);
            }
            Probe.awaitCloseSignals(server, serverChannels.stream().mapToInt(Integer::intValue).toArray());
            Probe.closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    /** A thread blocked in waitReceive(INFINITE). */
    private record Waiter(Thread thread, CompletableFuture<Message> outcome) {
        static Waiter start(ChannelGroup g) {
            CompletableFuture<Message> f = new CompletableFuture<>();
            Thread t = Thread.ofVirtual().name("test-waiter").start(() -> {
                try {
                    f.complete(g.waitReceive(ChannelGroup.INFINITE));
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            });
            return new Waiter(t, f);
        }

        void awaitParked() {
            Probe.awaitTrue(() -> thread.getState() == Thread.State.WAITING || thread.getState() == Thread.State.TIMED_WAITING,
                    Wire.WAIT, "waiter blocked in waitReceive");
        }

        Message result() throws Exception {
            Message m = outcome.get(Wire.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(m, "§6.5: INFINITE never times out");
            return m;
        }

        TofuException failure() throws Exception {
            try {
                Message m = outcome.get(Wire.WAIT.toSeconds(), TimeUnit.SECONDS);
                throw new AssertionError("§6.3/§6.9: closes caused by group destroy or engine close are silent (no close "
                        + "bundle) and the blocked waitReceive must fail with ShutdownStarted, but it returned " + m);
            } catch (ExecutionException e) {
                return assertInstanceOf(TofuException.class, e.getCause(), "waitReceive fails with TofuException");
            }
        }
    }
}
