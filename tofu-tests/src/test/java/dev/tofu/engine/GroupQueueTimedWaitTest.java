package dev.tofu.engine;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.ChannelGroup;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.internal.engine.GroupQueue;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.TimerNoise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;


import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Timed waits of the receive queue (PROTOCOL.md §6.5, waitReceive's timeout): a wait with timeout
 * t that gets nothing returns null no sooner than t and not much later, whether it uses the precise
 * park (short waits) or the shared deadline timer (long waits), also when many wait at once with
 * deadlines in any order; and a timed wait never misses a message that arrives before its deadline.
 */
@ExtendWith({NoLeaks.class, PinningGuard.class})
class GroupQueueTimedWaitTest {
    /** How late a timed-out wait may return on this noisy 2-core machine. */
    private static final long TOLERANCE = TimeUnit.MILLISECONDS.toNanos(150);

    private static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** Runs take(timeout) on a fresh virtual thread; returns how long it took, failing if it got a message. */
    private static long timedEmptyTake(GroupQueue q, long timeout) throws InterruptedException {
        AtomicLong took = new AtomicLong(-1);
        AtomicReference<MessageStore> got = new AtomicReference<>();
        Thread t = Thread.ofVirtual().name("consumer").start(() -> {
            long t0 = System.nanoTime();
            got.set(q.take(timeout));
            took.set(System.nanoTime() - t0);
        });
        assertTrue(t.join(Duration.ofSeconds(30)), "take(" + timeout + " ns) did not return within 30 s");
        assertNull(got.get(), "§6.5: null on timeout");
        return took.get();
    }

    private static void assertWithin(long took, long timeout, String what) {
        assertTrue(took >= timeout, what + ": returned after " + took + " ns, before its timeout " + timeout + " ns");
        assertTrue(took <= timeout + TOLERANCE, what + ": returned after " + took + " ns, more than "
                + TOLERANCE + " ns after its timeout " + timeout + " ns");
    }

    @Test
    @Timeout(60)
    void aTimedOutWaitReturnsNullWithinItsTimeoutPlusTheTolerance() throws InterruptedException {
        GroupQueue q = new GroupQueue(4);
        // below, at and above the shared timer's threshold (1 ms), and a long one
        for (long timeout : new long[] {TimeUnit.MICROSECONDS.toNanos(300), millis(1), millis(5), millis(40), millis(250)}) {
            for (int i = 0; i < 3; i++) {
                assertWithin(timedEmptyTake(q, timeout), timeout, "take(" + timeout + " ns), try " + i);
            }
        }
    }

    @Test
    @Timeout(60)
    void aShortWaitStartedDuringALongOneStillEndsOnTime() throws InterruptedException {
        // the shared timer plans to wake for the long deadline; the short one must make it wake earlier
        GroupQueue longQ = new GroupQueue(4);
        GroupQueue shortQ = new GroupQueue(4);
        AtomicLong longTook = new AtomicLong();
        Thread longWaiter = Thread.ofVirtual().name("long").start(() -> {
            long t0 = System.nanoTime();
            assertNull(longQ.take(millis(1500)));
            longTook.set(System.nanoTime() - t0);
        });
        awaitParked(longWaiter);
        for (long timeout : new long[] {millis(3), millis(20), millis(100)}) {
            assertWithin(timedEmptyTake(shortQ, timeout), timeout, "take(" + timeout + " ns) during a 1.5 s wait");
        }
        assertTrue(longWaiter.join(Duration.ofSeconds(30)));
        assertWithin(longTook.get(), millis(1500), "the long wait");
    }

    @Test
    @Timeout(60)
    void manyConcurrentTimedWaitsInAnyDeadlineOrderEachEndOnTime() throws InterruptedException {
        int waiters = 200;
        Random rnd = new Random(42);
        long[] timeouts = new long[waiters];
        long[] took = new long[waiters];
        List<Thread> threads = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int i = 0; i < waiters; i++) {
            int id = i;
            timeouts[i] = millis(2 + rnd.nextInt(300));
            GroupQueue q = new GroupQueue(4);
            threads.add(Thread.ofVirtual().name("waiter-" + i).start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long t0 = System.nanoTime();
                MessageStore m = q.take(timeouts[id]);
                took[id] = m == null ? System.nanoTime() - t0 : -1;
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            assertTrue(t.join(Duration.ofSeconds(30)), t.getName() + " still waiting after 30 s");
        }
        for (int i = 0; i < waiters; i++) {
            assertTrue(took[i] >= 0, "waiter " + i + " got a message from an empty queue");
            // many threads on 2 cores: allow twice the tolerance
            assertTrue(took[i] >= timeouts[i], "waiter " + i + " returned early: " + took[i] + " < " + timeouts[i]);
            assertTrue(took[i] <= timeouts[i] + 2 * TOLERANCE, "waiter " + i + " returned late: " + took[i]
                    + " ns for a timeout of " + timeouts[i] + " ns");
        }
    }

    @Test
    @Timeout(120)
    void aTimedWaitNeverMissesAMessageThatArrivesBeforeItsDeadline() throws Exception {
        // the producer puts at random moments, often while the consumer is enlisting or parking; a
        // lost wake-up shows as a take that returns null (after 10 s) although a message was queued
        GroupQueue q = new GroupQueue(8);
        int rounds = 20_000;
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        Thread consumer = Thread.ofVirtual().name("consumer").start(() -> {
            for (long expected = 0; expected < rounds; expected++) {
                long t0 = System.nanoTime();
                MessageStore m = q.take(TimeUnit.SECONDS.toNanos(10));
                if (m == null) {
                    errors.add("round " + expected + ": null after " + (System.nanoTime() - t0) + " ns");
                    return;
                }
                if (m.messageId() != expected) {
                    errors.add("round " + expected + ": got " + m.messageId());
                    return;
                }
            }
        });
        Thread producer = Thread.ofVirtual().name("producer").start(() -> {
            Random rnd = new Random(7);
            for (long id = 0; id < rounds; id++) {
                int spins = rnd.nextInt(200);
                for (int s = 0; s < spins; s++) {
                    Thread.onSpinWait();
                }
                if (rnd.nextInt(8) == 0) {
                    Thread.yield(); // let the consumer get all the way into its park
                }
                try {
                    if (!q.putFrame(store(new dev.tofu.Message().messageId(id)))) {
                        errors.add("put " + id + " refused");
                        return;
                    }
                } catch (InterruptedException e) {
                    errors.add("producer interrupted");
                    return;
                }
            }
        });
        assertTrue(producer.join(Duration.ofSeconds(100)), "producer stuck");
        assertTrue(consumer.join(Duration.ofSeconds(100)), "consumer stuck");
        assertTrue(errors.isEmpty(), "lost wake-ups or order: " + errors);
        assertEquals(0, q.size());
    }

    @Test
    @Timeout(60)
    void closeWakesAConsumerInALongTimedWait() throws InterruptedException {
        GroupQueue q = new GroupQueue(4);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread consumer = Thread.ofVirtual().name("consumer").start(() -> {
            try {
                q.take(TimeUnit.SECONDS.toNanos(30));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        awaitParked(consumer);
        q.close();
        assertTrue(consumer.join(Duration.ofSeconds(5)), "§6.7: close wakes a consumer in a timed wait");
        assertNotNull(thrown.get(), "take after close throws SHUTDOWN_STARTED");
    }

    @Test
    @Timeout(60)
    void waitReceiveWithATimeoutOnAGroupReturnsNullOnTime() throws InterruptedException {
        try (Reactor reactor = Reactor.create(Options.of(16, 64))) {
            ChannelGroup g = reactor.ampe().create();
            for (long ms : new long[] {2, 30, 200}) {
                long t0 = System.nanoTime();
                assertNull(g.waitReceive(Duration.ofMillis(ms)));
                assertWithin(System.nanoTime() - t0, millis(ms), "waitReceive(" + ms + " ms)");
            }
            g.close();
        }
    }

    /** Waits (bounded, without sleeping) until {@code t} is parked. */
    private static void awaitParked(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return;
            }
            if (s == Thread.State.TERMINATED) {
                fail(t.getName() + " ended instead of waiting");
            }
            if (System.nanoTime() > deadline) {
                fail(t.getName() + " did not park within 10 s, state " + s);
            }
            LockSupport.parkNanos(100_000);
        }
    }

    @Test
    @Timeout(120)
    void aLongTimedWaitGetsAMessageAtOnceWhileTheSharedTimerIsBusy() throws Exception {
        // Other threads enlist and withdraw with the shared timer all the time, so enlisting pokes it
        // and contends for its lock. A producer's unpark that arrived while the consumer was enlisting
        // used to be swallowed by that lock's own park: the consumer slept until its deadline with
        // the message queued.
        try (TimerNoise noise = new TimerNoise()) {
            GroupQueue q = new GroupQueue(16);
            for (int round = 0; round < 20_000; round++) {
                long id = round + 1;
                Thread producer = Thread.ofVirtual().start(() -> q.putNotice(store(new dev.tofu.Message().messageId(id))));
                long t0 = System.nanoTime();
                MessageStore m = q.take(TimeUnit.SECONDS.toNanos(30));
                long waited = System.nanoTime() - t0;
                assertNotNull(m, "round " + round);
                assertEquals(id, m.messageId());
                assertTrue(waited < TimeUnit.SECONDS.toNanos(5), "round " + round + ": the message waited "
                        + TimeUnit.NANOSECONDS.toMillis(waited) + " ms for a wake-up that was lost");
                producer.join();
            }
        }
    }
}
