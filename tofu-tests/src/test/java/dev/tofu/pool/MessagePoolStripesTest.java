package dev.tofu.pool;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.Options;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MessagePool}'s stripes: a caller works on its home stripe and looks at the others only
 * when its home has no message (a take) or no room (a keep), and the pool as a whole still keeps
 * PROTOCOL.md §6.2: at most {@code maxPoolMsgs} idle, nothing handed out twice, LIFO as one
 * thread sees it.
 */
class MessagePoolStripesTest {

    /** Hints whose home stripes are 0, 1, ... in a pool of {@code stripes} stripes. */
    private static int[] distinctHomes(int stripes) {
        MessagePool probe = new MessagePool(0, stripes, stripes);
        int[] hints = new int[stripes];
        boolean[] found = new boolean[stripes];
        int count = 0;
        for (int hint = 0; count < stripes && hint < 100_000; hint++) {
            int home = probe.homeOf(hint);
            if (!found[home]) {
                found[home] = true;
                hints[home] = hint;
                count++;
            }
        }
        assertEquals(stripes, count, "channel numbers reach every stripe");
        return hints;
    }

    private static MessageStore engineOwned(MessageStore m) {
        m.setOwner(Owner.ENGINE);
        return m;
    }

    @Test
    void smallPoolsHaveOneStripeAndBigOnesSeveral() {
        assertEquals(1, new MessagePool(16, Options.DEFAULT.maxPoolMsgs()).stripeCount(),
                "the default pool (64) is one LIFO stack");
        assertEquals(1, new MessagePool(1, 1).stripeCount());
        assertEquals(1, new MessagePool(0, 2 * MessagePool.MIN_PER_STRIPE - 1).stripeCount());
        assertEquals(Math.min(2, MessagePool.MAX_STRIPES), new MessagePool(0, 2 * MessagePool.MIN_PER_STRIPE).stripeCount());
        assertEquals(MessagePool.MAX_STRIPES, new MessagePool(0, 65_535).stripeCount(), "capped at MAX_STRIPES");
        assertTrue(MessagePool.MAX_STRIPES >= 4 && Integer.bitCount(MessagePool.MAX_STRIPES) == 1,
                "at least four, a power of two: " + MessagePool.MAX_STRIPES);
    }

    @Test
    void aStripeCountThatIsNoPowerOfTwoOrAboveMaxIdleIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MessagePool(0, 8, 3));
        assertThrows(IllegalArgumentException.class, () -> new MessagePool(0, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> new MessagePool(0, 8, 0));
    }

    @Test
    void initialMessagesAreSpreadOverEveryStripe() {
        MessagePool pool = new MessagePool(8, 8, 4);
        for (int hint : distinctHomes(4)) {
            MessageStore[] got = new MessageStore[8];
            assertEquals(2, pool.tryTakeForEngine(got, 8, hint), "two initial messages on each of the 4 stripes");
        }
        assertEquals(0, pool.idleCount());
    }

    @Test
    void aTakerWhoseHomeIsEmptyTakesFromAnotherStripe() {
        int[] homes = distinctHomes(4);
        MessagePool pool = new MessagePool(0, 8, 4);
        MessageStore a = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        pool.recycleAll(new MessageStore[] {a}, 1, homes[0]);
        MessageStore[] got = new MessageStore[4];
        assertEquals(1, pool.tryTakeForEngine(got, 4, homes[2]), "PROTOCOL.md §6.2: an idle message is found wherever it sits");
        assertSame(a, got[0]);
        assertEquals(0, pool.idleCount());
    }

    @Test
    void aKeepThatFindsItsHomeFullSpillsToAnotherStripeAndThePoolNeverHoldsMoreThanMaxIdle() {
        int[] homes = distinctHomes(4);
        MessagePool pool = new MessagePool(0, 4, 4); // one message per stripe
        MessageStore[] six = new MessageStore[6];
        for (int i = 0; i < 6; i++) {
            six[i] = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        }
        MessageStore[] batch = six.clone();
        pool.recycleAll(batch, 6, homes[1]);
        assertEquals(4, pool.idleCount(), "PROTOCOL.md §6.2: never more than maxPoolMsgs idle, across stripes");
        assertEquals(2, pool.droppedCount(), "the two beyond maxPoolMsgs are dropped");
        Set<MessageStore> taken = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int hint : homes) {
            MessageStore[] got = new MessageStore[6];
            int n = pool.tryTakeForEngine(got, 6, hint);
            assertEquals(1, n, "each stripe holds its one");
            assertTrue(taken.add(got[0]), "no message handed out twice");
        }
        assertEquals(0, pool.idleCount());
        assertEquals(0, pool.tryTakeForEngine(new MessageStore[1], 1, homes[0]));
    }

    @Test
    void aStripeIsLifoForItsOwnTakesAndKeeps() {
        int[] homes = distinctHomes(2);
        MessagePool pool = new MessagePool(0, 8, 2);
        MessageStore a = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        MessageStore b = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        pool.recycleAll(new MessageStore[] {a, b}, 2, homes[0]);
        MessageStore[] got = new MessageStore[2];
        assertEquals(2, pool.tryTakeForEngine(got, 2, homes[0]));
        assertSame(b, got[0], "PROTOCOL.md §6.2: LIFO, the last kept first");
        assertSame(a, got[1]);
    }

    @Test
    void oneThreadSeesAStripedPoolAsOneLifoStack() {
        MessagePool pool = new MessagePool(0, 1024);
        assertTrue(pool.stripeCount() > 1);
        MessageStore a = pool.get(AllocationStrategy.ALWAYS);
        MessageStore b = pool.get(AllocationStrategy.ALWAYS);
        pool.put(a);
        pool.put(b);
        assertSame(b, pool.get(AllocationStrategy.POOL_ONLY), "PROTOCOL.md §6.2: LIFO");
        assertSame(a, pool.get(AllocationStrategy.POOL_ONLY), "PROTOCOL.md §6.2: LIFO");
        assertNull(pool.get(AllocationStrategy.POOL_ONLY));
    }

    @Test
    void closeEmptiesEveryStripeAndLaterKeepsDrop() {
        int[] homes = distinctHomes(4);
        MessagePool pool = new MessagePool(8, 8, 4);
        pool.close();
        assertEquals(0, pool.idleCount(), "PROTOCOL.md §6.2: close releases the idle messages of every stripe");
        MessageStore m = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        pool.recycleAll(new MessageStore[] {m}, 1, homes[3]);
        assertEquals(0, pool.idleCount(), "a keep after close drops");
        assertEquals(1, pool.droppedCount());
        assertEquals(0, pool.tryTakeForEngine(new MessageStore[1], 1, homes[3]));
        MessageStore other = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        pool.recycle(other);
        assertNotSame(other, pool.tryTakeForEngine());
    }
}
