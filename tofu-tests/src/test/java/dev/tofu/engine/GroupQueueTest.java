package dev.tofu.engine;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.engine.GroupQueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** A channel group's receive queue: many producers, one blocking consumer (PROTOCOL.md §6.3, §6.5, §6.7). */
class GroupQueueTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static MessageStore msg(long id) {
        return store(new dev.tofu.Message().messageId(id));
    }

    private static long id(MessageStore m) {
        return m.messageId();
    }

    private static void awaitParked(Thread t) {
        dev.tofu.testing.Probe.awaitParked(t, java.time.Duration.ofSeconds(5));
    }

    @Test
    void framesAndNoticesComeOutInArrivalOrder() throws InterruptedException {
        GroupQueue q = new GroupQueue(16);
        assertTrue(q.putFrame(msg(1)));
        assertTrue(q.putNotice(msg(2)));
        assertTrue(q.putFrame(msg(3)));
        assertTrue(q.putNotice(msg(4)));
        assertTrue(q.putNotice(msg(5)));
        assertTrue(q.putFrame(msg(6)));
        assertEquals(6, q.size());
        assertEquals(3, q.queuedFrames());
        for (long expected = 1; expected <= 6; expected++) {
            MessageStore m = q.take(0);
            assertNotNull(m);
            assertEquals(expected, id(m), "§6.5: FIFO queue, frames and notices in arrival order");
            assertEquals(0, m.tag(), "a handed-out message carries no queue tag");
        }
        assertEquals(0, q.size());
        assertEquals(0, q.queuedFrames());
        assertNull(q.take(0));
    }

    @Test
    @Timeout(5)
    void zeroTimeoutPollsWithoutWaiting() {
        GroupQueue q = new GroupQueue(4);
        long t0 = System.nanoTime();
        assertNull(q.take(0), "§6.5: 0 = poll without blocking");
        assertTrue(System.nanoTime() - t0 < SECOND, "take(0) waited");
        assertTrue(q.putNotice(msg(7)));
        assertEquals(7, id(q.take(0)));
    }

    @Test
    @Timeout(10)
    void timeoutReturnsNullAfterRoughlyTheTimeout() {
        GroupQueue q = new GroupQueue(4);
        long wait = TimeUnit.MILLISECONDS.toNanos(100);
        long t0 = System.nanoTime();
        assertNull(q.take(wait), "§6.5: null on timeout");
        long took = System.nanoTime() - t0;
        assertTrue(took >= wait, "returned early after " + took + " ns");
        assertTrue(took < 5 * SECOND, "returned late after " + took + " ns");
    }

    @Test
    @Timeout(10)
    void blockedConsumerWakesForANewMessage() throws InterruptedException {
        GroupQueue q = new GroupQueue(4);
        AtomicReference<MessageStore> got = new AtomicReference<>();
        Thread consumer = Thread.ofVirtual().name("consumer").start(() -> got.set(q.take(Long.MAX_VALUE)));
        awaitParked(consumer);
        assertTrue(q.putFrame(msg(42)));
        assertTrue(consumer.join(Duration.ofSeconds(5)));
        assertEquals(42, id(got.get()));
        assertEquals(0, q.queuedFrames());
    }

    @Test
    @Timeout(10)
    void putFrameWaitsWhileFrameCapacityFramesAreQueuedAndResumesWhenOneIsTaken() throws Exception {
        GroupQueue q = new GroupQueue(2);
        assertTrue(q.putFrame(msg(1)));
        assertTrue(q.putFrame(msg(2)));
        CountDownLatch added = new CountDownLatch(1);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread reader = Thread.ofVirtual().name("reader").start(() -> {
            try {
                result.set(q.putFrame(msg(3)));
            } catch (Throwable e) {
                result.set(e);
            }
            added.countDown();
        });
        awaitParked(reader);
        assertEquals(1, added.getCount(), "DESIGN: when the queue is full, readers wait");
        assertEquals(2, q.queuedFrames());
        assertEquals(2, q.size());

        assertEquals(1, id(q.take(0)));
        assertTrue(added.await(5, TimeUnit.SECONDS), "taking a frame lets a waiting reader in");
        assertEquals(Boolean.TRUE, result.get());
        assertEquals(2, q.queuedFrames());
        assertEquals(2, id(q.take(0)));
        assertEquals(3, id(q.take(0)));
        assertEquals(0, q.queuedFrames());
    }

    @Test
    @Timeout(10)
    void takingANoticeDoesNotLetAWaitingFrameIn() throws Exception {
        GroupQueue q = new GroupQueue(1);
        assertTrue(q.putNotice(msg(1)));
        assertTrue(q.putFrame(msg(2)));
        CountDownLatch added = new CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                q.putFrame(msg(3));
                added.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        awaitParked(reader);
        assertEquals(1, id(q.take(0)));
        assertEquals(1, added.getCount(), "only taking a frame frees frame room");
        assertEquals(2, id(q.take(0)));
        assertTrue(added.await(5, TimeUnit.SECONDS));
        assertEquals(3, id(q.take(0)));
    }

    @Test
    @Timeout(10)
    void putNoticeNeverWaitsEvenWhenFullOfFramesAndCalledByTheConsumer() throws InterruptedException {
        GroupQueue q = new GroupQueue(1);
        assertTrue(q.putFrame(msg(0)));
        for (int i = 1; i <= 1000; i++) {
            assertTrue(q.putNotice(msg(i)), "§6.7: notices are never refused for room");
        }
        assertEquals(1001, q.size());
        assertEquals(1, q.queuedFrames());
        // The consumer thread itself injects while it drains (updateReceiver from the receiver thread).
        for (int i = 0; i <= 1000; i++) {
            assertEquals(i, id(q.take(0)));
            if (i < 10) {
                assertTrue(q.putNotice(msg(2000 + i)));
            }
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(2000 + i, id(q.take(0)));
        }
        assertNull(q.take(0));
    }

    @Test
    @Timeout(10)
    void closeWakesABlockedConsumerWithShutdownStarted() throws InterruptedException {
        GroupQueue q = new GroupQueue(4);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread consumer = Thread.ofVirtual().name("consumer").start(() -> {
            try {
                q.take(Long.MAX_VALUE);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        awaitParked(consumer);
        assertTrue(q.close().isEmpty());
        assertTrue(consumer.join(Duration.ofSeconds(5)), "§6.3: blocked waitReceive wakes on destroy");
        TofuException e = assertInstanceOf(TofuException.class, thrown.get());
        assertEquals(Status.SHUTDOWN_STARTED, e.status(), "§6.3: wakes with ShutdownStarted");
        assertTrue(q.isClosed());
        TofuException later = assertThrows(TofuException.class, () -> q.take(0));
        assertEquals(Status.SHUTDOWN_STARTED, later.status(), "§6.5: raises ShutdownStarted once destroyed");
    }

    @Test
    @Timeout(10)
    void closeWakesAProducerWaitingForRoomWithFalse() throws Exception {
        GroupQueue q = new GroupQueue(1);
        assertTrue(q.putFrame(msg(1)));
        int waiting = 3;
        List<Thread> readers = new ArrayList<>();
        ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < waiting; i++) {
            long id = 10 + i;
            readers.add(Thread.ofVirtual().name("reader-" + i).start(() -> {
                try {
                    results.add(q.putFrame(msg(id)));
                } catch (Throwable e) {
                    results.add(e);
                }
            }));
        }
        for (Thread r : readers) {
            awaitParked(r);
        }
        List<MessageStore> left = q.close();
        assertEquals(1, left.size());
        assertEquals(1, id(left.get(0)));
        for (Thread r : readers) {
            assertTrue(r.join(Duration.ofSeconds(5)), r.getName() + " still waiting after close");
        }
        assertEquals(List.of(false, false, false), new ArrayList<>(results), "a put on a closed queue adds nothing");
        assertFalse(q.putFrame(msg(20)));
        assertFalse(q.putNotice(msg(21)));
        assertEquals(0, q.size());
    }

    @Test
    void closeReturnsEverythingQueuedOnceAndIsIdempotent() throws InterruptedException {
        GroupQueue q = new GroupQueue(8);
        for (int i = 0; i < 20; i++) {
            boolean ok = i % 3 == 0 ? q.putFrame(msg(i)) : q.putNotice(msg(i));
            assertTrue(ok);
        }
        assertEquals(0, id(q.take(0)));
        List<MessageStore> left = q.close();
        assertEquals(19, left.size(), "§6.3: pending messages go back to the pool");
        for (int i = 0; i < 19; i++) {
            assertEquals(i + 1, id(left.get(i)));
            assertEquals(0, left.get(i).tag());
        }
        assertEquals(0, q.size());
        assertEquals(0, q.queuedFrames());
        assertTrue(q.close().isEmpty(), "a second close returns nothing");
    }

    @Test
    @Timeout(10)
    void aSecondConcurrentTakeIsNotAllowed() throws InterruptedException {
        GroupQueue q = new GroupQueue(4);
        AtomicReference<MessageStore> got = new AtomicReference<>();
        Thread first = Thread.ofVirtual().name("first").start(() -> got.set(q.take(Long.MAX_VALUE)));
        awaitParked(first);
        TofuException e = assertThrows(TofuException.class, () -> q.take(0));
        assertEquals(Status.NOT_ALLOWED, e.status(), "API: a second concurrent waitReceive gets NOT_ALLOWED");
        assertTrue(q.putNotice(msg(5)));
        assertTrue(first.join(Duration.ofSeconds(5)));
        assertEquals(5, id(got.get()), "the refused call did not disturb the waiting one");
        assertNull(q.take(0), "once the first caller left, another thread may take");
    }

    @Test
    @Timeout(10)
    void anInterruptedConsumerThrowsTofuInterruptedExceptionAndKeepsItsInterruptStatus() throws InterruptedException {
        GroupQueue q = new GroupQueue(4);
        AtomicReference<Object> result = new AtomicReference<>("unset");
        AtomicBoolean flag = new AtomicBoolean();
        Thread consumer = Thread.ofVirtual().start(() -> {
            try {
                result.set(q.take(Long.MAX_VALUE));
            } catch (Throwable e) {
                result.set(e);
            }
            flag.set(Thread.currentThread().isInterrupted());
        });
        awaitParked(consumer);
        consumer.interrupt();
        assertTrue(consumer.join(Duration.ofSeconds(5)));
        assertInstanceOf(dev.tofu.TofuInterruptedException.class, result.get(),
                "issue 19: an interrupted wait says so (null means a timeout)");
        assertTrue(flag.get());
        assertTrue(q.putNotice(msg(1)));
        assertEquals(1, id(q.take(0)), "the queue still works");
    }

    @Test
    @Timeout(10)
    void anInterruptedProducerAddsNothing() throws InterruptedException {
        GroupQueue q = new GroupQueue(1);
        assertTrue(q.putFrame(msg(1)));
        AtomicReference<Object> result = new AtomicReference<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                result.set(q.putFrame(msg(2)));
            } catch (Throwable e) {
                result.set(e);
            }
        });
        awaitParked(reader);
        reader.interrupt();
        assertTrue(reader.join(Duration.ofSeconds(5)));
        assertInstanceOf(InterruptedException.class, result.get());
        assertEquals(1, q.size());
        assertEquals(1, q.queuedFrames());
        assertEquals(1, id(q.take(0)));
        assertTrue(q.putFrame(msg(3)), "the interrupted wait did not leak a permit");
        assertEquals(1, q.queuedFrames());
    }

    /**
     * N producers each put M messages, frames and notices mixed, while one consumer takes: every
     * message arrives exactly once and each producer's messages arrive in its order (§6.8).
     */
    @Test
    @Timeout(20)
    void manyProducersOneConsumerLoseNothingDuplicateNothingAndKeepPerProducerOrder() throws Exception {
        int producers = 8;
        int perProducer = 20_000;
        int capacity = 16;
        GroupQueue q = new GroupQueue(capacity);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int pid = p;
            threads.add(Thread.ofVirtual().name("producer-" + p).start(() -> {
                try {
                    Random r = new Random(pid);
                    start.await();
                    for (int i = 0; i < perProducer; i++) {
                        MessageStore m = msg((long) pid << 32 | i);
                        boolean ok = r.nextInt(3) == 0 ? q.putNotice(m) : q.putFrame(m);
                        if (!ok) {
                            throw new AssertionError("put refused on an open queue");
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        int[] next = new int[producers];
        BitSet seen = new BitSet();
        start.countDown();
        int total = producers * perProducer;
        for (int k = 0; k < total; k++) {
            MessageStore m = q.take(10 * SECOND);
            assertNotNull(m, "message lost: only " + k + " of " + total + " arrived");
            assertTrue(q.queuedFrames() <= capacity, "more than frameCapacity frames queued");
            int pid = (int) (id(m) >>> 32);
            int seq = (int) id(m);
            assertEquals(next[pid], seq, "§6.8: per-producer order, producer " + pid);
            next[pid]++;
            int key = pid * perProducer + seq;
            assertFalse(seen.get(key), "duplicate");
            seen.set(key);
        }
        for (Thread t : threads) {
            assertTrue(t.join(Duration.ofSeconds(5)));
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertNull(q.take(0), "nothing extra");
        assertEquals(total, seen.cardinality());
    }

    /**
     * Producers put while the consumer takes and another thread closes: every message is either
     * taken, returned by close, or refused (its put returned false), exactly once.
     */
    @Test
    @Timeout(20)
    void closeRacingWithProducersAndConsumerStrandsNothing() throws Exception {
        Random seeds = new Random(99);
        int roundsWithRefusals = 0;
        int roundsWithLeftovers = 0;
        for (int round = 0; round < 200; round++) {
            int producers = 4;
            int perProducer = 300;
            GroupQueue q = new GroupQueue(1 + seeds.nextInt(8));
            int closeAfter = seeds.nextInt(200);
            ConcurrentLinkedQueue<Long> refused = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> accepted = new ConcurrentLinkedQueue<>();
            List<Long> taken = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch takenEnough = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int pid = p;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        Random r = new Random(pid);
                        start.await();
                        boolean refusedOnce = false;
                        for (int i = 0; i < perProducer; i++) {
                            long id = (long) pid << 32 | i;
                            boolean ok = r.nextBoolean() ? q.putNotice(msg(id)) : q.putFrame(msg(id));
                            if (ok) {
                                if (refusedOnce) {
                                    throw new AssertionError("accepted after a refusal");
                                }
                                accepted.add(id);
                            } else {
                                refusedOnce = true;
                                refused.add(id);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            AtomicBoolean consumerSawShutdown = new AtomicBoolean();
            Thread consumer = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        MessageStore m = q.take(Long.MAX_VALUE);
                        taken.add(id(m));
                        if (taken.size() == closeAfter) {
                            takenEnough.countDown();
                        }
                    }
                } catch (TofuException e) {
                    consumerSawShutdown.set(e.status() == Status.SHUTDOWN_STARTED);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            start.countDown();
            if (closeAfter > 0) {
                assertTrue(takenEnough.await(10, TimeUnit.SECONDS));
            }
            List<MessageStore> left = q.close();
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofSeconds(10)), "producer stuck after close");
            }
            assertTrue(consumer.join(Duration.ofSeconds(10)), "consumer stuck after close");
            if (failure.get() != null) {
                throw new AssertionError("round " + round, failure.get());
            }
            assertTrue(consumerSawShutdown.get(), "consumer ends with SHUTDOWN_STARTED");

            BitSet outcome = new BitSet();
            int count = 0;
            List<Long> all = new ArrayList<>(taken);
            left.forEach(m -> all.add(id(m)));
            all.addAll(refused);
            for (long id : all) {
                int key = (int) (id >>> 32) * perProducer + (int) id;
                assertFalse(outcome.get(key), "round " + round + ": message " + key + " accounted for twice");
                outcome.set(key);
                count++;
            }
            assertEquals(producers * perProducer, count, "round " + round + ": a message was stranded");
            assertEquals(accepted.size(), taken.size() + left.size(),
                    "round " + round + ": accepted = taken + returned by close");
            assertEquals(0, q.size());
            assertTrue(q.close().isEmpty());
            roundsWithRefusals += refused.isEmpty() ? 0 : 1;
            roundsWithLeftovers += left.isEmpty() ? 0 : 1;
        }
        assertTrue(roundsWithRefusals > 0 && roundsWithLeftovers > 0,
                "the race was exercised: refusals in " + roundsWithRefusals + " rounds, leftovers in "
                        + roundsWithLeftovers);
    }
}
