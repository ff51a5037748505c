package dev.tofu.recipes;

import dev.tofu.AllocationStrategy;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
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

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PROTOCOL.md §8 "Robustness / concurrency": tofu's "loop" and "simm" tests, and a prompt engine close. */
@Timeout(120)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RecipesRobustnessTest {
    /** How often each of the 32 concurrent scenario threads repeats its scenario (a few seconds on 2 cores). */
    private static final int ROUNDS = 25;

    @Test
    void lifecycleConnectAndReconnectPassFiveTimesInARow() throws InterruptedException {
        for (int round = 0; round < 5; round++) {
            Scenarios.lifecycle();
            for (Transport t : Transport.values()) {
                Scenarios.connectDisconnect(t);
                assertEquals(3, Scenarios.reconnectSingleThread(t, 3).size(), "§8 loop: R13 " + t + " round " + round);
                assertTrue(Scenarios.reconnectTwoThreads(t, 3) >= 3, "§8 loop: R14 " + t + " round " + round);
            }
        }
        assertTrue(NoLeaks.awaitTrue(() -> Engine.liveThreads() == 0, Wire.WAIT), "§8 loop: no engine thread left");
    }

    @Test
    void fourThreadsEachRunningEightConcurrentScenariosOnIndependentEnginesNeitherFailHangNorLeak()
            throws InterruptedException {
        List<Scenarios.ThrowingRunnable> scenarios = new ArrayList<>();
        for (Transport t : Transport.values()) {                        // each scenario twice: once per transport
            scenarios.add(Scenarios::lifecycle);
            scenarios.add(() -> Scenarios.connectDisconnect(t));
            scenarios.add(() -> Scenarios.reconnectSingleThread(t, 3));
            scenarios.add(() -> Scenarios.reconnectTwoThreads(t, 3));
        }
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicInteger finished = new AtomicInteger();
        List<Thread> outer = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            outer.add(Thread.ofPlatform().name("simm-" + i).start(() -> {
                List<Thread> inner = new ArrayList<>();
                for (Scenarios.ThrowingRunnable s : scenarios) {
                    inner.add(Thread.ofVirtual().start(() -> {
                        try {
                            for (int round = 0; round < ROUNDS; round++) {
                                s.run();
                            }
                            finished.incrementAndGet();
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }));
                }
                for (Thread t : inner) {
                    try {
                        t.join(Duration.ofSeconds(60));
                    } catch (InterruptedException e) {
                        errors.add(e);
                    }
                }
            }));
        }
        for (Thread t : outer) {
            assertTrue(t.join(Duration.ofSeconds(90)), "§8 simm: no hang");
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("§8 simm: " + errors.size() + " scenario(s) failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
        assertEquals(32, finished.get(), "§8 simm: all 4 x 8 scenarios completed");
        assertTrue(NoLeaks.awaitTrue(() -> Engine.liveThreads() == 0, Wire.WAIT), "§8 simm: no engine thread leaks");
    }

    @Test
    void engineCloseWithOpenChannelsAndABlockedWaiterReturnsPromptly() throws InterruptedException {
        Reactor reactor = Reactor.create();
        Link.Conn c;
        try {
            var ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, Transport.TCP.serverAddress());
            int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            server.post(hello.opCode(OpCode.HELLO_RESPONSE));
            Wire.await(client, m -> m.channel() == cch).close();
            c = new Link.Conn(cch, sch);
            for (int i = 0; i < 5; i++) {                              // leave traffic queued at the server
                Wire.send(ampe, client, c.client(), OpCode.REQUEST, 0, "pending");
            }
        } catch (RuntimeException | Error e) {
            reactor.close();
            throw e;
        }
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        ChannelGroup waiting = reactor.ampe().create();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                Message m = waiting.waitReceive(ChannelGroup.INFINITE);
                outcome.set(new AssertionError("waitReceive returned " + m));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        assertTrue(NoLeaks.awaitTrue(() -> waiter.getState() == Thread.State.WAITING
                || waiter.getState() == Thread.State.TIMED_WAITING, Wire.WAIT), "the waiter blocks");
        long t0 = System.nanoTime();
        reactor.close();
        long took = System.nanoTime() - t0;
        assertTrue(took < Duration.ofSeconds(2).toNanos(), "§8/§6.9: close() with open channels returns promptly: " + took / 1_000_000 + " ms");
        assertTrue(waiter.join(Duration.ofSeconds(2)), "§6.9: the blocked waiter is woken");
        assertTrue(outcome.get() instanceof TofuException te && te.status() == Status.SHUTDOWN_STARTED,
                "§6.9: the waiter gets ShutdownStarted: " + outcome.get());
        TofuException e = assertThrows(TofuException.class, () -> reactor.ampe().get(AllocationStrategy.ALWAYS));
        assertEquals(Status.SHUTDOWN_STARTED, e.status(), "§6.2: get after close");
        assertTrue(NoLeaks.awaitTrue(() -> Engine.liveThreads() == 0, Wire.WAIT), "§6.9: every channel thread ended");
    }
}
