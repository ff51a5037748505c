package dev.tofu.pool;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MessagePool} under contention: many virtual threads getting and putting at once
 * (API.md threading rules: get and put are safe from any thread).
 */
class MessagePoolConcurrencyTest {
    private static final int THREADS = 8;
    private static final int ITERATIONS = 20_000;
    // A small pool and few messages per thread keep every thread fighting over the same few
    // messages (and the pool full often enough that puts drop), which is what exposes a race.
    private static final int MAX_IDLE = 4;
    private static final int MAX_HELD_PER_THREAD = 3;

    @ParameterizedTest(name = "{0} stripe(s)")
    @ValueSource(ints = {1, 4})
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void virtualThreadsHammeringGetAndPutNeverShareAMessage(int stripes) throws Exception {
        MessagePool pool = new MessagePool(MAX_IDLE, MAX_IDLE, stripes); // 4 stripes: one message each
        // MessageStore does not override equals/hashCode, so this set is identity-based.
        Set<MessageStore> held = ConcurrentHashMap.newKeySet();
        AtomicLong foreign = new AtomicLong();

        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                workers.add(threads.submit(() -> work(pool, held, foreign, id)));
            }
            for (Future<?> w : workers) {
                w.get(50, TimeUnit.SECONDS); // rethrows a worker's AssertionError
            }
        }

        assertTrue(held.isEmpty(), "every worker gave back everything it held");
        assertTrue(pool.idleCount() <= MAX_IDLE, "PROTOCOL.md §6.2: never more than maxPoolMsgs idle");
        assertEquals(pool.createdCount() + foreign.get(), pool.idleCount() + pool.droppedCount(),
                "no message lost or duplicated: every message ever made is idle or dropped");
        assertEquals(0, pool.outstanding(), "at rest, with the application holding nothing, no message is out");
    }

    private static Void work(MessagePool pool, Set<MessageStore> held, AtomicLong foreign, int id) {
        SplittableRandom rnd = new SplittableRandom(0x70F0L + id);
        List<MessageStore> mine = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            int r = rnd.nextInt(10);
            if (r < 4 && mine.size() < MAX_HELD_PER_THREAD) {
                AllocationStrategy s = rnd.nextBoolean() ? AllocationStrategy.POOL_ONLY : AllocationStrategy.ALWAYS;
                MessageStore m = pool.get(s);
                if (m == null) {
                    if (s == AllocationStrategy.ALWAYS) {
                        throw new AssertionError("PROTOCOL.md §6.2: ALWAYS never returns null");
                    }
                    continue;
                }
                take(held, m, Owner.APPLICATION, "get");
                v(m).channel(id + 1).messageId(i);
                v(m).body().append(new byte[] {(byte) id});
                mine.add(m);
            } else if (r < 8 && !mine.isEmpty()) {
                MessageStore m = mine.remove(rnd.nextInt(mine.size()));
                give(held, m);
                pool.put(m);
            } else if (r == 8) {
                if (rnd.nextBoolean()) {
                    MessageStore m = store(new dev.tofu.Message().channel(id + 1));
                    foreign.incrementAndGet();
                    pool.put(m);          // apps may grow the pool with their own messages
                } else {
                    pool.put(null);       // does nothing
                }
            } else if (rnd.nextBoolean()) { // a reader's batch and a writer's, on a channel's home stripe
                int hint = rnd.nextInt(8);
                MessageStore[] batch = new MessageStore[2];
                int n = pool.tryTakeForEngine(batch, 2, hint);
                for (int k = 0; k < n; k++) {
                    take(held, batch[k], Owner.ENGINE, "tryTakeForEngine(batch)");
                    give(held, batch[k]);
                }
                pool.recycleAll(batch, n, rnd.nextInt(8));
            } else {
                MessageStore m = pool.tryTakeForEngine();
                if (m != null) {
                    take(held, m, Owner.ENGINE, "tryTakeForEngine");
                    give(held, m);
                    pool.recycle(m);
                }
            }
        }
        for (MessageStore m : mine) {
            give(held, m);
            pool.put(m);
        }
        return null;
    }

    private static void take(Set<MessageStore> held, MessageStore m, int owner, String how) {
        if (!held.add(m)) {
            throw new AssertionError("API.md: a message is owned by exactly one party, but " + how + " handed out "
                    + m + " which another thread holds");
        }
        if (m.owner() != owner) {
            throw new AssertionError(how + " must hand the message to " + Owner.name(owner) + ": " + m);
        }
        if (m.channel() != 0 || m.messageId() != 0 || m.body().length() != 0) {
            throw new AssertionError("PROTOCOL.md §6.2: " + how + " returns a reset message, got " + m);
        }
    }

    private static void give(Set<MessageStore> held, MessageStore m) {
        if (!held.remove(m)) {
            throw new AssertionError("a message this thread held was not in the held set: " + m);
        }
    }
}
