package dev.tofu.engine;

import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.engine.ChannelTable;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-engine channel-number space (PROTOCOL.md §5.1). */
class ChannelTableTest {

    private static final int SPAN = ChannelTable.LAST - ChannelTable.FIRST + 1;

    @Test
    void numbersAreInRangeAndDistinctWhileBound() {
        ChannelTable<Object> table = new ChannelTable<>(new SplittableRandom(1));
        Set<Integer> seen = new HashSet<>();
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            Object v = new Object();
            int n = table.allocate(v);
            assertTrue(n >= 1 && n <= 65534, "§5.1: app channels use 1..65534, got " + n);
            assertTrue(seen.add(n), "§5.1: numbers are unique while the channel exists, " + n + " twice");
            assertSame(v, table.get(n));
            values.add(v);
        }
        assertEquals(5000, table.size());
        List<Object> snapshot = table.values();
        assertEquals(5000, snapshot.size());
        assertTrue(snapshot.containsAll(values));
    }

    @Test
    void getAnswersNullForReservedOutOfRangeAndUnboundNumbers() {
        ChannelTable<String> table = new ChannelTable<>(new SplittableRandom(2));
        int n = table.allocate("a");
        assertNull(table.get(0), "§5.1: 0 = not assigned yet");
        assertNull(table.get(65535), "§5.1: 65535 is reserved for the engine");
        assertNull(table.get(-1));
        assertNull(table.get(65536));
        assertNull(table.get(n == 1 ? 2 : n - 1));
        assertEquals("a", table.get(n));
    }

    @Test
    void releaseUnbindsOnlyTheExactValueBound() {
        ChannelTable<String> table = new ChannelTable<>(new SplittableRandom(3));
        String value = new String("chan");
        int n = table.allocate(value);
        assertFalse(table.release(n, new String("chan")), "release is by identity, not equals");
        assertFalse(table.release(n, null));
        assertFalse(table.release(0, value));
        assertFalse(table.release(65535, value));
        assertSame(value, table.get(n), "a refused release changes nothing");
        assertEquals(1, table.size());
        assertTrue(table.release(n, value));
        assertNull(table.get(n));
        assertEquals(0, table.size());
        assertTrue(table.values().isEmpty());
        assertFalse(table.release(n, value), "a second release of the same binding is refused");
    }

    @Test
    void nullValuesCannotBeBound() {
        ChannelTable<Object> table = new ChannelTable<>();
        assertThrows(NullPointerException.class, () -> table.allocate(null));
    }

    /**
     * Random allocate/release sequences against a model: a number handed out is never live and
     * never among the 1024 most recently released (§5.1 quarantine, §9.4).
     */
    @Property(tries = 15)
    void releasedNumberIsNotReissuedWithinTheNextQuarantineReleases(@ForAll long seed) {
        Random ops = new Random(seed);
        ChannelTable<Object> table = new ChannelTable<>(new SplittableRandom(seed));
        int target = 200 + ops.nextInt(3000);
        List<Integer> liveNumbers = new ArrayList<>();
        List<Object> liveValues = new ArrayList<>();
        ArrayDeque<Integer> recent = new ArrayDeque<>(); // last QUARANTINE released, oldest first
        Set<Integer> recentSet = new HashSet<>();
        Set<Integer> liveSet = new HashSet<>();
        for (int step = 0; step < 20_000; step++) {
            boolean allocate = liveNumbers.size() < target ? ops.nextInt(4) != 0 : ops.nextInt(4) == 0;
            if (allocate || liveNumbers.isEmpty()) {
                Object v = new Object();
                int n = table.allocate(v);
                assertFalse(liveSet.contains(n), "number " + n + " given to two live values");
                assertFalse(recentSet.contains(n),
                        "§5.1: number " + n + " re-issued while among the last 1024 released");
                liveSet.add(n);
                liveNumbers.add(n);
                liveValues.add(v);
            } else {
                int i = ops.nextInt(liveNumbers.size());
                int n = liveNumbers.get(i);
                assertTrue(table.release(n, liveValues.get(i)));
                int last = liveNumbers.size() - 1;
                liveNumbers.set(i, liveNumbers.get(last));
                liveValues.set(i, liveValues.get(last));
                liveNumbers.remove(last);
                liveValues.remove(last);
                liveSet.remove(n);
                recent.addLast(n);
                recentSet.add(n);
                if (recent.size() > ChannelTable.QUARANTINE) {
                    recentSet.remove(recent.removeFirst());
                }
            }
            assertEquals(liveNumbers.size(), table.size());
        }
    }

    /**
     * Fill every number, then release: the first 1024 released stay in quarantine, so allocation
     * still fails; each further release lets exactly the oldest quarantined number out, and that is
     * the only number allocate can give.
     */
    @Test
    @Timeout(20)
    void exhaustionFailsWithAllocationFailedUntilANumberLeavesTheQuarantine() {
        ChannelTable<Object> table = new ChannelTable<>(new SplittableRandom(4));
        Object[] byNumber = new Object[65536];
        for (int i = 0; i < SPAN; i++) {
            Object v = new Object();
            int n = table.allocate(v);
            assertNull(byNumber[n], "number " + n + " allocated twice");
            byNumber[n] = v;
        }
        assertEquals(SPAN, table.size());
        TofuException full = assertThrows(TofuException.class, () -> table.allocate(new Object()));
        assertEquals(Status.ALLOCATION_FAILED, full.status(), "§5.1: if no number is free → AllocationFailed");

        Random order = new Random(5);
        List<Integer> released = new ArrayList<>();
        for (int i = 0; i < ChannelTable.QUARANTINE; i++) {
            int n;
            do {
                n = 1 + order.nextInt(SPAN);
            } while (byNumber[n] == null);
            assertTrue(table.release(n, byNumber[n]));
            byNumber[n] = null;
            released.add(n);
        }
        assertEquals(SPAN - ChannelTable.QUARANTINE, table.size());
        TofuException quarantined = assertThrows(TofuException.class, () -> table.allocate(new Object()));
        assertEquals(Status.ALLOCATION_FAILED, quarantined.status(),
                "§5.1: the 1024 most recently closed numbers are excluded");

        for (int round = 0; round < 3; round++) {
            int n;
            do {
                n = 1 + order.nextInt(SPAN);
            } while (byNumber[n] == null);
            assertTrue(table.release(n, byNumber[n]));
            byNumber[n] = null;
            released.add(n);
            Object v = new Object();
            int got = table.allocate(v);
            assertEquals(released.get(round), got, "the oldest quarantined number is the only free one");
            byNumber[got] = v;
            assertThrows(TofuException.class, () -> table.allocate(new Object()));
        }
    }

    @Test
    void numbersSpreadOverTheWholeRange() {
        ChannelTable<Object> table = new ChannelTable<>(new SplittableRandom(6));
        int low = 0;
        int total = 20_000;
        for (int i = 0; i < total; i++) {
            if (table.allocate(new Object()) <= SPAN / 2) {
                low++;
            }
        }
        assertTrue(Math.abs(low - total / 2) < total / 20,
                "§5.1: allocation is uniformly random; lower half got " + low + " of " + total);
    }

    @Test
    @Timeout(20)
    void concurrentAllocateAndReleaseNeverGiveOneNumberToTwoLiveValues() throws InterruptedException {
        ChannelTable<Object> table = new ChannelTable<>();
        AtomicIntegerArray holder = new AtomicIntegerArray(65536); // 0 = free, else thread id + 1
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        int threads = 8;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t + 1;
            workers.add(Thread.ofVirtual().name("table-" + t).start(() -> {
                try {
                    start.await();
                    Random r = new Random(id);
                    List<Integer> mine = new ArrayList<>();
                    List<Object> vals = new ArrayList<>();
                    for (int i = 0; i < 20_000; i++) {
                        if (mine.size() < 300 && (mine.isEmpty() || r.nextBoolean())) {
                            Object v = new Object();
                            int n = table.allocate(v);
                            if (!holder.compareAndSet(n, 0, id)) {
                                throw new AssertionError("number " + n + " held by " + holder.get(n)
                                        + " was given to " + id);
                            }
                            mine.add(n);
                            vals.add(v);
                        } else {
                            int k = r.nextInt(mine.size());
                            int n = mine.get(k);
                            Object v = vals.get(k);
                            if (table.get(n) != v) {
                                throw new AssertionError("get(" + n + ") lost its value");
                            }
                            holder.set(n, 0); // before release: afterwards another thread may get n
                            if (!table.release(n, v)) {
                                throw new AssertionError("release(" + n + ") of a live binding refused");
                            }
                            mine.set(k, mine.get(mine.size() - 1));
                            vals.set(k, vals.get(vals.size() - 1));
                            mine.remove(mine.size() - 1);
                            vals.remove(vals.size() - 1);
                        }
                    }
                    for (int k = 0; k < mine.size(); k++) {
                        holder.set(mine.get(k), 0);
                        if (!table.release(mine.get(k), vals.get(k))) {
                            throw new AssertionError("final release refused");
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            assertTrue(w.join(java.time.Duration.ofSeconds(15)), w.getName() + " did not finish");
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(0, table.size());
        assertTrue(table.values().isEmpty());
    }
}
