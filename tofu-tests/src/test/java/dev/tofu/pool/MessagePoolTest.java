package dev.tofu.pool;

import static dev.tofu.testing.Stores.v;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MessagePool}: get / put of PROTOCOL.md §6.2 and the engine's side of the pool. */
class MessagePoolTest {

    // ---- sizes ----------------------------------------------------------------------------------

    @Test
    void aPoolWithDefaultOptionsStartsWith16IdleMessagesAndKeepsAtMost64() {
        Options o = Options.DEFAULT;
        MessagePool pool = new MessagePool(o.initialPoolMsgs(), o.maxPoolMsgs());
        assertEquals(16, pool.idleCount(), "PROTOCOL.md §6.1/§8: default initialPoolMsgs 16");
        assertEquals(64, pool.maxIdle(), "PROTOCOL.md §6.1/§8: default maxPoolMsgs 64");
        for (int i = 0; i < 16; i++) {
            assertNotNull(pool.get(AllocationStrategy.POOL_ONLY), "PROTOCOL.md §6.2: 16 pooled messages");
        }
        assertNull(pool.get(AllocationStrategy.POOL_ONLY), "PROTOCOL.md §6.2: the 17th POOL_ONLY get finds the pool empty");
        for (int i = 0; i < 70; i++) {
            pool.put(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        }
        assertEquals(64, pool.idleCount(), "PROTOCOL.md §6.2: never more than maxPoolMsgs idle");
    }

    @Test
    void recipeR2SmallestPool() {
        MessagePool pool = new MessagePool(1, 1);
        assertNotNull(pool.get(AllocationStrategy.ALWAYS), "PROTOCOL.md §7 R2: options 1/1, get(ALWAYS) non-null");
        assertNull(pool.get(AllocationStrategy.POOL_ONLY), "PROTOCOL.md §7 R2: then get(POOL_ONLY) null");
        assertNotNull(pool.get(AllocationStrategy.ALWAYS), "PROTOCOL.md §7 R2: then get(ALWAYS) non-null");
    }

    @Test
    void poolOnlyOnAnEmptyPoolReturnsNullAndCreatesNothing() {
        MessagePool pool = new MessagePool(0, 4);
        assertNull(pool.get(AllocationStrategy.POOL_ONLY), "PROTOCOL.md §6.2: POOL_ONLY → null when empty (not an error)");
        assertEquals(0, pool.createdCount(), "PROTOCOL.md §6.2: POOL_ONLY never creates a message");
    }

    @Test
    void alwaysOnAnEmptyPoolCreatesANewMessageEveryTime() {
        MessagePool pool = new MessagePool(0, 4);
        MessageStore a = pool.get(AllocationStrategy.ALWAYS);
        MessageStore b = pool.get(AllocationStrategy.ALWAYS);
        assertNotNull(a, "PROTOCOL.md §6.2: ALWAYS never returns null");
        assertNotSame(a, b, "PROTOCOL.md §6.2: ALWAYS creates a new message when empty (unbounded)");
        assertEquals(2, pool.createdCount(), "two new messages");
    }

    @Test
    void reuseIsLastInFirstOut() {
        MessagePool pool = new MessagePool(0, 4);
        MessageStore a = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        MessageStore b = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        pool.put(a);
        pool.put(b);
        assertSame(b, pool.get(AllocationStrategy.POOL_ONLY), "PROTOCOL.md §6.2: pool order is LIFO (last put first)");
        assertSame(a, pool.get(AllocationStrategy.ALWAYS), "PROTOCOL.md §6.2: pool order is LIFO");
        assertNull(pool.get(AllocationStrategy.POOL_ONLY), "both taken, pool empty");
    }

    @Test
    void putBeyondMaxDiscardsTheMessage() {
        MessagePool pool = new MessagePool(0, 2);
        MessageStore a = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        MessageStore b = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        MessageStore c = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        pool.put(a);
        pool.put(b);
        pool.put(c);
        assertEquals(2, pool.idleCount(), "PROTOCOL.md §6.2: kept only while fewer than maxPoolMsgs are idle");
        assertEquals(1, pool.droppedCount(), "PROTOCOL.md §6.2: otherwise discarded");
        assertSame(b, pool.get(AllocationStrategy.POOL_ONLY), "the dropped one was the last put, not a kept one");
        assertSame(a, pool.get(AllocationStrategy.POOL_ONLY), "the dropped one was the last put, not a kept one");
        assertNull(pool.get(AllocationStrategy.POOL_ONLY), "c was dropped");
        assertEquals(Owner.POOL, c.owner(), "a dropped message stays marked as the pool's: nobody may use it");
    }

    @Test
    void aPoolWithMaxZeroKeepsNothing() {
        MessagePool pool = new MessagePool(0, 0);
        pool.put(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        assertEquals(0, pool.idleCount(), "PROTOCOL.md §6.2: discarded when the pool holds maxPoolMsgs (0)");
        assertEquals(1, pool.droppedCount(), "PROTOCOL.md §6.2: discarded");
    }

    @Test
    void constructorRejectsInitialAboveMax() {
        assertThrows(IllegalArgumentException.class, () -> new MessagePool(3, 2), "need initial <= max");
        assertThrows(IllegalArgumentException.class, () -> new MessagePool(-1, 2), "need initial >= 0");
    }

    // ---- reuse ----------------------------------------------------------------------------------

    @Test
    void aReusedMessageKeepsItsBuffersAndComesBackFullyReset() {
        MessagePool pool = new MessagePool(0, 4);
        MessageStore m = pool.get(AllocationStrategy.ALWAYS);
        v(m).opCode(OpCode.BYE_RESPONSE).channel(77).messageId(5).more(true).status(Status.SEND_FAILED).origin(Origin.ENGINE);
        v(m).headers().append("name", "x".repeat(3000));
        v(m).body().append(new byte[40_000]);
        m.setTag(3);
        int bodyCapacity = m.body().capacity();
        int headerCapacity = m.headers().capacity();

        pool.put(m);
        MessageStore again = pool.get(AllocationStrategy.POOL_ONLY);

        assertSame(m, again, "PROTOCOL.md §6.2: LIFO");
        assertEquals(bodyCapacity, again.body().capacity(), "Body: the storage is kept when the message returns to the pool");
        assertEquals(headerCapacity, again.headers().capacity(), "the header storage is kept too");
        assertSame(OpCode.REQUEST, again.opCode(), "PROTOCOL.md §6.2: returned messages are reset (opcode Request)");
        assertEquals(0, again.channel(), "PROTOCOL.md §6.2: channel 0");
        assertEquals(0, again.messageId(), "PROTOCOL.md §6.2: mid 0");
        assertFalse(again.more(), "PROTOCOL.md §6.2: header all-zero");
        assertSame(Status.SUCCESS, again.status(), "PROTOCOL.md §6.2: header all-zero");
        assertSame(Origin.APPLICATION, v(again).origin(), "PROTOCOL.md §6.2: header all-zero");
        assertTrue(v(again).headers().isEmpty(), "PROTOCOL.md §6.2: no headers");
        assertEquals(0, again.body().length(), "PROTOCOL.md §6.2: no body");
        assertEquals(0, v(again).body().asReadOnlyBuffer().remaining(), "PROTOCOL.md §6.2: no body");
        assertEquals(0, again.tag(), "PROTOCOL.md §6.2: put() clears all of them");
    }

    @Test
    void recycleAllReturnsAWrittenBatchUnderOneLockInTheOrderOfSingleRecycles() {
        MessagePool pool = new MessagePool(4, 4);
        MessageStore a = pool.tryTakeForEngine();
        MessageStore b = pool.tryTakeForEngine();
        MessageStore c = pool.tryTakeForEngine();
        MessageStore app = pool.get(AllocationStrategy.POOL_ONLY); // the application's: not the engine's to recycle
        a.body().append(new byte[] {1}, 0, 1);
        MessageStore[] batch = {a, b, c, app, null};
        pool.recycleAll(batch, 4);
        assertTrue(java.util.Arrays.stream(batch).allMatch(java.util.Objects::isNull), "every slot cleared");
        assertEquals(3, pool.idleCount(), "the engine's three are back; the application's message is not taken");
        assertSame(c, pool.get(AllocationStrategy.POOL_ONLY), "LIFO as if recycled one by one: the last first");
        assertSame(b, pool.get(AllocationStrategy.POOL_ONLY));
        MessageStore again = pool.get(AllocationStrategy.POOL_ONLY);
        assertSame(a, again);
        assertEquals(0, again.body().length(), "recycled messages are cleared");
        pool.put(app);
    }

    @Test
    void idleMessagesKeepAtMostTheRetainedBytesBudgetOfBigBuffers() {
        int n = 1000; // 1000 × 64 KiB bodies = 62.5 MiB, twice the budget
        MessagePool pool = new MessagePool(0, n);
        java.util.List<MessageStore> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            MessageStore m = pool.get(AllocationStrategy.ALWAYS);
            v(m).body().append(new byte[65_535]);
            v(m).headers().append("small", "x");
            out.add(m);
        }
        out.forEach(pool::put);
        assertEquals(n, pool.idleCount(), "every message stays pooled");
        long kept = 0;
        int stripped = 0;
        for (int i = 0; i < n; i++) {
            MessageStore m = pool.get(AllocationStrategy.POOL_ONLY);
            long cap = (long) m.body().capacity() + m.headers().capacity();
            kept += cap;
            if (m.body().capacity() == 0) {
                stripped++;
            }
            v(m).body().append(new byte[] {7}); // a stripped message works as before
            assertEquals(1, m.body().length());
        }
        assertTrue(kept <= MessagePool.RETAINED_BYTES_BUDGET + (long) n * MessagePool.KEEP_ALWAYS_BYTES,
                "idle buffers stay within the budget: " + kept);
        assertTrue(kept >= MessagePool.RETAINED_BYTES_BUDGET - 2L * 65_535 * 2,
                "up to the budget, big buffers are kept for reuse: " + kept);
        assertTrue(stripped > 0 && stripped < n, "some but not all lost their big buffers: " + stripped);
    }

    // ---- close ----------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(AllocationStrategy.class)
    void getAfterCloseFailsWithShutdownStarted(AllocationStrategy strategy) {
        MessagePool pool = new MessagePool(2, 4);
        pool.close();
        TofuException e = assertThrows(TofuException.class, () -> pool.get(strategy), "PROTOCOL.md §6.2: get after close");
        assertSame(Status.SHUTDOWN_STARTED, e.status(), "PROTOCOL.md §6.2: ShutdownStarted after close");
    }

    @Test
    void closeReleasesTheIdleMessages() {
        MessagePool pool = new MessagePool(3, 4);
        pool.close();
        assertTrue(pool.isClosed(), "closed");
        assertEquals(0, pool.idleCount(), "PROTOCOL.md §6.9: closing discards pooled messages");
    }

    @Test
    void putAfterCloseDropsTheMessage() {
        MessagePool pool = new MessagePool(0, 4);
        MessageStore m = pool.get(AllocationStrategy.ALWAYS);
        pool.close();
        pool.put(m);
        assertEquals(0, pool.idleCount(), "PROTOCOL.md §6.2: after close, put discards");
        assertEquals(1, pool.droppedCount(), "PROTOCOL.md §6.2: after close, put discards");
        assertEquals(Owner.POOL, m.owner(), "API.md: put hands it over even when it is then dropped");
    }

    @Test
    void closeOfAMessageAfterItsPoolClosedDropsIt() {
        MessagePool pool = new MessagePool(0, 4);
        MessageStore m = pool.get(AllocationStrategy.ALWAYS);
        pool.close();
        pool.put(m);
        assertEquals(0, pool.idleCount(), "PROTOCOL.md §6.2: after close, put (close()) discards");
    }

    // ---- the engine's side ----------------------------------------------------------------------

    @Test
    void tryTakeForEngineTakesAnIdleMessageForTheEngine() {
        MessagePool pool = new MessagePool(1, 2);
        MessageStore m = pool.tryTakeForEngine();
        assertNotNull(m, "PROTOCOL.md §6.2: the engine draws from the pool");
        assertEquals(Owner.ENGINE, m.owner(), "API.md: the engine owns what it took");
    }

    @Test
    void tryTakeForEngineNeverCreatesAMessage() {
        MessagePool pool = new MessagePool(0, 2);
        assertNull(pool.tryTakeForEngine(), "PROTOCOL.md §6.2: the engine draws from the pool only (POOL_ONLY)");
        assertEquals(0, pool.createdCount(), "PROTOCOL.md §6.2: the engine never creates receive messages");
    }

    @Test
    void tryTakeForEngineAfterCloseReturnsNull() {
        MessagePool pool = new MessagePool(2, 2);
        pool.close();
        assertNull(pool.tryTakeForEngine(), "a closed pool gives the engine nothing");
    }

    @Test
    @Timeout(10)
    void awaitForEngineOnAnEmptyPoolTimesOutWithNull() throws InterruptedException {
        MessagePool pool = new MessagePool(0, 2);
        assertNull(pool.awaitForEngine(TimeUnit.MILLISECONDS.toNanos(20)), "no message within the timeout → null");
        assertNull(pool.awaitForEngine(0), "a zero timeout polls");
    }

    @Test
    @Timeout(10)
    void awaitForEngineReturnsAnIdleMessageAtOnce() throws InterruptedException {
        MessagePool pool = new MessagePool(1, 2);
        MessageStore m = pool.awaitForEngine(TimeUnit.SECONDS.toNanos(30));
        assertNotNull(m, "an idle message is taken without waiting");
        assertEquals(Owner.ENGINE, m.owner(), "the engine owns it");
    }

    @Test
    @Timeout(20)
    void awaitForEngineIsWokenByAPutFromAnotherThread() throws Exception {
        MessagePool pool = new MessagePool(0, 2);
        CompletableFuture<MessageStore> taken = new CompletableFuture<>();
        long waitNanos = Duration.ofSeconds(15).toNanos();
        Thread waiter = Thread.ofVirtual().name("pool-waiter").start(() -> {
            long deadline = System.nanoTime() + waitNanos;
            try {
                MessageStore m = null;
                long left;
                while (m == null && (left = deadline - System.nanoTime()) > 0) {
                    m = pool.awaitForEngine(left); // null may mean a spurious wake-up: re-check
                }
                taken.complete(m);
            } catch (Throwable t) {
                taken.completeExceptionally(t);
            }
        });
        awaitParked(waiter, Duration.ofSeconds(10));

        MessageStore given = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        long putAt = System.nanoTime();
        pool.put(given);

        MessageStore got = taken.get(15, TimeUnit.SECONDS);
        long wokenAfter = System.nanoTime() - putAt;
        assertSame(given, got, "PROTOCOL.md §6.6: as soon as a message enters an empty pool the engine is woken");
        assertEquals(Owner.ENGINE, got.owner(), "the engine owns what it took");
        assertTrue(wokenAfter < waitNanos / 2, "woken by the put, not by the timeout");
    }

    @Test
    @Timeout(20)
    void closeWakesAnEngineWaiterWithNull() throws Exception {
        MessagePool pool = new MessagePool(0, 2);
        CompletableFuture<MessageStore> result = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                result.complete(pool.awaitForEngine(Duration.ofSeconds(15).toNanos()));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        awaitParked(waiter, Duration.ofSeconds(10));
        long closedAt = System.nanoTime();
        pool.close();
        assertNull(result.get(15, TimeUnit.SECONDS), "PROTOCOL.md §6.9: closing the pool releases its waiters");
        assertTrue(System.nanoTime() - closedAt < Duration.ofSeconds(7).toNanos(), "woken by close, not by the timeout");
        waiter.join(Duration.ofSeconds(5));
        assertFalse(waiter.isAlive(), "the waiter has returned");
    }

    @Test
    @Timeout(20)
    void recycleWakesAnEngineWaiter() throws Exception {
        MessagePool pool = new MessagePool(1, 2);
        MessageStore inFlight = pool.tryTakeForEngine();
        CompletableFuture<MessageStore> taken = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            try {
                MessageStore m = null;
                long left;
                while (m == null && (left = deadline - System.nanoTime()) > 0) {
                    m = pool.awaitForEngine(left);
                }
                taken.complete(m);
            } catch (Throwable t) {
                taken.completeExceptionally(t);
            }
        });
        awaitParked(waiter, Duration.ofSeconds(10));
        pool.recycle(inFlight);
        assertSame(inFlight, taken.get(15, TimeUnit.SECONDS),
                "PROTOCOL.md §6.2: the engine puts every written message back, and a starved reader gets it");
    }

    /** Waits (bounded, no sleep) until {@code t} is parked, so the next step really has to wake it. */
    static void awaitParked(Thread t, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("thread " + t + " did not park within " + limit + " (state " + t.getState() + ")");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
