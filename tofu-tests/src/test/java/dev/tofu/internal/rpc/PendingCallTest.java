package dev.tofu.internal.rpc;

import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.TofuInterruptedException;
import dev.tofu.testing.TimerNoise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-off of response parts to a waiting caller, and the table of pending calls: parts in
 * arrival order, failures after the parts before them, nothing handed out after the caller gave
 * up, no lost wake-up, and ids that share a slot kept apart.
 */
@Timeout(60)
class PendingCallTest {
    private static final long LONG = PendingCall.deadline(Duration.ofSeconds(30));

    private static Message part(long id, int n, boolean more) {
        Message m = new Message().opCode(OpCode.RESPONSE).messageId(id).more(more);
        m.body().append(new byte[] {(byte) n});
        return m;
    }

    @Test
    void partsOfferedBeforeTheCallerWaitsComeOutInArrivalOrder() {
        PendingCall p = new PendingCall(7, false);
        for (int i = 0; i < 50; i++) {
            assertTrue(p.offer(part(7, i, i < 49)));
        }
        for (int i = 0; i < 50; i++) {
            Message m = p.next(LONG);
            assertEquals(i, m.body().toByteArray()[0], "part " + i + " in arrival order");
        }
    }

    @Test
    void aFailureComesAfterThePartsThatArrivedBeforeIt() {
        PendingCall p = new PendingCall(8, false);
        p.offer(part(8, 1, true));
        p.offer(part(8, 2, true));
        p.fail(Status.PEER_DISCONNECTED, "gone");
        p.fail(Status.CHANNEL_CLOSED, "second failure is ignored");
        assertEquals(1, p.next(LONG).body().toByteArray()[0]);
        assertEquals(2, p.next(LONG).body().toByteArray()[0]);
        TofuException e = assertThrows(TofuException.class, () -> p.next(LONG));
        assertEquals(Status.PEER_DISCONNECTED, e.status(), "the first failure wins");
    }

    @Test
    void afterAbandonNothingIsTakenAndLeftoversComeBack() {
        PendingCall p = new PendingCall(9, false);
        Message a = part(9, 1, true);
        Message b = part(9, 2, true);
        p.offer(a);
        p.offer(b);
        List<Message> left = p.abandon();
        assertEquals(List.of(a, b), left, "the parts not handed out, oldest first");
        assertFalse(p.offer(part(9, 3, false)), "a late part is refused: its offerer keeps it");
        assertTrue(p.abandon().isEmpty());
    }

    @Test
    void theDeadlinePassesWithNothingOffered() {
        PendingCall p = new PendingCall(10, false);
        long start = System.nanoTime();
        assertNull(p.next(PendingCall.deadline(Duration.ofMillis(30))));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(30), "not before the deadline");
        assertNull(p.next(PendingCall.deadline(Duration.ofMillis(3))), "a long wait (shared timer) too");
    }

    @Test
    void anInterruptedCallerThrowsAndKeepsItsFlag() throws Exception {
        PendingCall p = new PendingCall(11, false);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread caller = Thread.ofVirtual().start(() -> {
            waiting.countDown();
            try {
                p.next(LONG);
            } catch (Throwable t) {
                thrown.set(t);
            }
            flag.set(Thread.currentThread().isInterrupted());
        });
        assertTrue(waiting.await(10, TimeUnit.SECONDS));
        caller.interrupt();
        assertTrue(caller.join(Duration.ofSeconds(10)), "the caller ends promptly");
        assertTrue(thrown.get() instanceof TofuInterruptedException, "got " + thrown.get());
        assertTrue(flag.get(), "the interrupt flag is kept");
    }

    @Test
    void aPartOfferedWhileTheCallerParksIsNeverMissed() throws Exception {
        // producer and consumer race 20,000 times; a lost wake-up would leave next() waiting 30 s
        for (int round = 0; round < 20_000; round++) {
            PendingCall p = new PendingCall(round + 1, false);
            Message m = part(round + 1, 0, false);
            Thread producer = Thread.ofVirtual().start(() -> p.offer(m));
            assertSame(m, p.next(PendingCall.deadline(Duration.ofSeconds(10))), "round " + round);
            producer.join();
        }
    }

    @Test
    void aWakeUpIsNotLostWhileTheSharedTimerIsBusy() throws Exception {
        // Other threads enlist and withdraw short deadlines with the shared timer all the time, so
        // enlisting pokes it and contends for its lock; a caller whose wait begins just as its part
        // arrives must still get it at once, not at its 30 s deadline (an unpark that came while
        // the caller was enlisting used to be swallowed by that lock's own park).
        try (TimerNoise noise = new TimerNoise()) {
            for (int round = 0; round < 20_000; round++) {
                PendingCall p = new PendingCall(round + 1, false);
                Message m = part(round + 1, 0, false);
                Thread producer = Thread.ofVirtual().start(() -> p.offer(m));
                long t0 = System.nanoTime();
                Message got = p.next(PendingCall.deadline(Duration.ofSeconds(30)));
                long waited = System.nanoTime() - t0;
                assertSame(m, got, "round " + round);
                assertTrue(waited < TimeUnit.SECONDS.toNanos(5), "round " + round + ": the part waited "
                        + TimeUnit.NANOSECONDS.toMillis(waited) + " ms for a wake-up that was lost");
                producer.join();
            }
        }
    }

    @Test
    void aFailureFromAnotherThreadWakesTheCaller() throws Exception {
        for (int round = 0; round < 5_000; round++) {
            PendingCall p = new PendingCall(round + 1, false);
            Thread closer = Thread.ofVirtual().start(() -> p.fail(Status.SHUTDOWN_STARTED, "closing"));
            TofuException e = assertThrows(TofuException.class, () -> p.next(PendingCall.deadline(Duration.ofSeconds(10))));
            assertEquals(Status.SHUTDOWN_STARTED, e.status());
            closer.join();
        }
    }

    @Test
    void tableKeepsIdsThatShareASlotApart() {
        PendingTable t = new PendingTable();
        List<PendingCall> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            PendingCall p = new PendingCall(5 + 256L * i, false); // one slot, eight ids
            assertTrue(t.register(p));
            calls.add(p);
        }
        for (PendingCall p : calls) {
            assertSame(p, t.get(p.id()));
        }
        assertFalse(t.register(new PendingCall(5 + 256L * 3, false)), "an id in the overflow is taken");
        assertFalse(t.register(new PendingCall(5, false)), "an id in its slot is taken");
        assertNull(t.get(5 + 256L * 8));
        assertEquals(8, t.all().size());
        t.remove(calls.get(0));
        assertNull(t.get(5));
        assertSame(calls.get(1), t.get(5 + 256L));
        assertTrue(t.register(new PendingCall(5 + 256L * 9, false)), "the freed slot takes a new id");
        t.remove(calls.get(3));
        assertTrue(t.register(new PendingCall(5 + 256L * 3, false)), "an id is free again once removed");
        PendingCall stranger = new PendingCall(5 + 256L * 4, false);
        t.remove(stranger); // not registered: nothing happens
        assertSame(calls.get(4), t.get(5 + 256L * 4));
    }

    @Test
    void concurrentRegistrationsOfOneIdLeaveAtMostOne() throws Exception {
        for (int round = 0; round < 2_000; round++) {
            PendingTable t = new PendingTable();
            PendingCall occupant = new PendingCall(1000 + 256L * round, false);
            if (round % 2 == 0) {
                t.register(new PendingCall(3 + 256L * (round + 1), false)); // one of them goes to the overflow
            }
            long id = 3 + 256L * (round + 2);
            PendingCall a = new PendingCall(id, false);
            PendingCall b = new PendingCall(id, false);
            boolean[] won = new boolean[2];
            Thread ta = Thread.ofVirtual().start(() -> won[0] = t.register(a));
            Thread tb = Thread.ofVirtual().start(() -> won[1] = t.register(b));
            ta.join();
            tb.join();
            assertFalse(won[0] && won[1], "round " + round + ": two calls registered with one id");
            PendingCall found = t.get(id);
            if (won[0] || won[1]) {
                assertSame(won[0] ? a : b, found);
            }
            assertNull(t.get(occupant.id()));
        }
    }
}
