package dev.tofu.engine;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.internal.io.Outbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A channel's outbound queue as its writer sees it: waiting for messages, waking on offers and on
 * stop, and doing so without allocating per wake-up (the writer parks on a field, not on a
 * {@code Condition}, whose await allocates a node each time).
 */
class OutboxTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static MessageStore msg(long id) {
        return store(new dev.tofu.Message().opCode(OpCode.REQUEST).channel(1).messageId(id));
    }

    private static void awaitParked(Thread t) {
        dev.tofu.testing.Probe.awaitParked(t, java.time.Duration.ofSeconds(5));
    }

    @Test
    @Timeout(30)
    void aWaitingWriterWakesForAnOfferAndTakesTheMessage() throws InterruptedException {
        Outbox box = new Outbox();
        AtomicReference<MessageStore> taken = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().name("writer").start(() -> {
            MessageStore[] batch = new MessageStore[4];
            try {
                int n = box.takeBatch(batch, 4, Long.MAX_VALUE);
                if (n == 1) {
                    taken.set(batch[0]);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        awaitParked(writer);
        MessageStore m = msg(7);
        assertEquals(Outbox.OFFERED, box.offer(m, 10));
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(writer.isAlive(), "an offer wakes the writer parked in takeBatch");
        assertSame(m, taken.get(), "the writer takes exactly the offered message");
    }

    @Test
    @Timeout(30)
    void stopWakesAWriterWaitingForMessagesAndForStop() throws InterruptedException {
        Outbox box = new Outbox();
        AtomicInteger took = new AtomicInteger(-1);
        AtomicReference<Boolean> stopped = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().name("writer").start(() -> {
            try {
                took.set(box.takeBatch(new MessageStore[4], 4, Long.MAX_VALUE));
                stopped.set(box.awaitStopped(Long.MAX_VALUE));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        awaitParked(writer);
        box.stop();
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(writer.isAlive(), "stop wakes a writer parked in takeBatch");
        assertEquals(0, took.get(), "a stopped outbox hands the writer nothing");
        assertEquals(Boolean.TRUE, stopped.get(), "awaitStopped reports the stop");
    }

    @Test
    @Timeout(30)
    void timedWaitsEndAtTheirDeadlineWhenNothingHappens() throws InterruptedException {
        Outbox box = new Outbox();
        long start = System.nanoTime();
        assertEquals(0, box.takeBatch(new MessageStore[4], 4, TimeUnit.MILLISECONDS.toNanos(20)));
        assertFalse(box.awaitStopped(TimeUnit.MILLISECONDS.toNanos(20)));
        assertNull(box.takeByeResponse(TimeUnit.MILLISECONDS.toNanos(20)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(60),
                "each timed wait lasts its full timeout when nothing arrives");
    }

    @Test
    @Timeout(30)
    void anInterruptedWriterLeavesItsWaitWithInterruptedException() throws InterruptedException {
        Outbox box = new Outbox();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().name("writer").start(() -> {
            try {
                box.takeBatch(new MessageStore[4], 4, Long.MAX_VALUE);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        awaitParked(writer);
        writer.interrupt();
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(thrown.get() instanceof InterruptedException, "got " + thrown.get());
        assertEquals(Outbox.OFFERED, box.offer(msg(1), 10), "the outbox still works after the interrupted wait");
    }

    @Test
    @Timeout(60)
    void aWriterWakingForEachMessageAllocatesNothingPerWakeUp() throws InterruptedException {
        int warmup = 5_000;
        int measured = 10_000;
        Outbox box = new Outbox();
        MessageStore m = msg(1);
        AtomicInteger taken = new AtomicInteger();
        AtomicLong allocated = new AtomicLong(-1);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Thread writer = Thread.ofPlatform().name("writer").start(() -> {
            MessageStore[] batch = new MessageStore[4];
            long before = 0;
            try {
                for (int i = 0; i < warmup + measured; i++) {
                    if (i == warmup) {
                        before = mx.getCurrentThreadAllocatedBytes();
                    }
                    int n = box.takeBatch(batch, 4, Long.MAX_VALUE);
                    batch[0] = null;
                    box.doneWriting(false);
                    taken.addAndGet(n);
                }
                allocated.set(mx.getCurrentThreadAllocatedBytes() - before);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < warmup + measured; i++) {
            awaitParked(writer); // the writer waits for each message: every offer is a wake-up
            assertEquals(Outbox.OFFERED, box.offer(m, 10));
            long deadline = System.nanoTime() + 5 * SECOND;
            while (taken.get() <= i) {
                if (System.nanoTime() > deadline) {
                    fail("the writer did not take message " + i + " within 5 s");
                }
                Thread.onSpinWait();
            }
        }
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals(warmup + measured, taken.get());
        assertTrue(allocated.get() >= 0, "the writer finished");
        // A Condition-based wait allocates a 32-byte node per await (320 kB here).
        assertTrue(allocated.get() < measured * 4L,
                "the writer allocated " + allocated.get() + " bytes over " + measured + " wake-ups; expected none");
    }
}
