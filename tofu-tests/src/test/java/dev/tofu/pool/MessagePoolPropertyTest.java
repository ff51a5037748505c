package dev.tofu.pool;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MessagePool} against a model: a LIFO stack of at most {@code maxPoolMsgs} idle messages
 * (PROTOCOL.md §6.2), driven by random sequences of get and put, including puts of foreign, null and
 * already-put messages (API.md ownership rules).
 */
class MessagePoolPropertyTest {
    /** Stands for one of the messages the pool was created with, not yet seen by the application. */
    private static final Object UNSEEN = new Object();

    sealed interface Op permits Get, PutHeld, PutForeign, PutNull, PutAgain {
    }

    record Get(AllocationStrategy strategy) implements Op {
    }

    record PutHeld(int pick) implements Op {
    }

    record PutForeign() implements Op {
    }

    record PutNull() implements Op {
    }

    record PutAgain(int pick) implements Op {
    }

    @Property(tries = 300)
    void thePoolBehavesLikeABoundedLifoStack(
            @ForAll @IntRange(min = 0, max = 4) int initial,
            @ForAll @IntRange(min = 0, max = 4) int headroom,
            @ForAll("operations") List<Op> ops) {
        int max = initial + headroom;
        MessagePool pool = new MessagePool(initial, max);

        List<Object> stack = new ArrayList<>(Collections.nCopies(initial, UNSEEN)); // top = last
        List<MessageStore> held = new ArrayList<>();
        List<MessageStore> released = new ArrayList<>();   // put by the app and not handed out since
        Set<MessageStore> seen = identitySet();
        long dropped = 0;
        long foreign = 0;

        for (Op op : ops) {
            switch (op) {
                case Get g -> {
                    MessageStore m = pool.get(g.strategy());
                    if (stack.isEmpty()) {
                        if (g.strategy() == AllocationStrategy.POOL_ONLY) {
                            assertNull(m, "PROTOCOL.md §6.2: POOL_ONLY → null exactly when the pool is empty");
                            continue;
                        }
                        assertNotNull(m, "PROTOCOL.md §6.2: ALWAYS never returns null");
                        assertFalse(seen.contains(m), "PROTOCOL.md §6.2: ALWAYS on an empty pool creates a new message");
                    } else {
                        Object top = stack.remove(stack.size() - 1);
                        assertNotNull(m, "PROTOCOL.md §6.2: a pooled message when the pool is not empty (" + g + ")");
                        if (top == UNSEEN) {
                            assertFalse(seen.contains(m), "an initial message not handed out before");
                        } else {
                            assertSame(top, m, "PROTOCOL.md §6.2: pool order is LIFO");
                        }
                    }
                    assertFalse(containsIdentity(held, m), "API.md: never handed out twice while held");
                    assertEquals(Owner.APPLICATION, m.owner(), "API.md: get hands it to the application");
                    assertReset(m);
                    removeIdentity(released, m);
                    seen.add(m);
                    held.add(dirty(m));
                }
                case PutHeld p -> {
                    if (held.isEmpty()) {
                        continue;
                    }
                    MessageStore m = held.remove(p.pick() % held.size());
                    pool.put(m);
                    released.add(m);
                    if (stack.size() < max) {
                        stack.add(m);
                    } else {
                        dropped++;
                    }
                }
                case PutForeign f -> {
                    MessageStore m = dirty(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
                    foreign++;
                    pool.put(m);
                    released.add(m);
                    if (stack.size() < max) {
                        stack.add(m);
                    } else {
                        dropped++;
                    }
                }
                case PutNull n -> pool.put(null); // API.md: does nothing
                case PutAgain a -> {
                    if (released.isEmpty()) {
                        continue;
                    }
                    pool.put(released.get(a.pick() % released.size())); // API.md: does nothing
                }
            }
            assertEquals(stack.size(), pool.idleCount(), "idleCount matches the model after " + op);
            assertTrue(pool.idleCount() <= max, "PROTOCOL.md §6.2: never more than maxPoolMsgs idle");
            assertEquals(dropped, pool.droppedCount(), "PROTOCOL.md §6.2: put discards only when maxPoolMsgs are idle");
            assertEquals(pool.createdCount() + foreign, pool.idleCount() + pool.droppedCount() + held.size(),
                    "no message is lost or duplicated: every message is idle, dropped or held");
            assertEquals(held.size(), pool.outstanding(), "outstanding() counts exactly the messages the application holds");
        }
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> get = Arbitraries.of(AllocationStrategy.class).map(Get::new);
        Arbitrary<Op> putHeld = Arbitraries.integers().between(0, 1000).map(PutHeld::new);
        Arbitrary<Op> putAgain = Arbitraries.integers().between(0, 1000).map(PutAgain::new);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(5, get),
                Tuple.of(4, putHeld),
                Tuple.of(1, Arbitraries.just(new PutForeign())),
                Tuple.of(1, Arbitraries.just(new PutNull())),
                Tuple.of(1, putAgain));
        return op.list().ofMaxSize(80);
    }

    private static MessageStore dirty(MessageStore m) {
        v(m).opCode(OpCode.SIGNAL).channel(42).messageId(7).more(true);
        v(m).headers().append("k", "v");
        v(m).body().append(new byte[] {1, 2, 3});
        return m;
    }

    private static void assertReset(MessageStore m) {
        assertEquals(new dev.tofu.Message().header(), v(m).header(), "PROTOCOL.md §6.2: returned messages are reset (header all-zero)");
        assertTrue(v(m).headers().isEmpty(), "PROTOCOL.md §6.2: no headers");
        assertEquals(0, m.body().length(), "PROTOCOL.md §6.2: no body");
    }

    private static Set<MessageStore> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    private static boolean containsIdentity(List<MessageStore> list, MessageStore m) {
        for (MessageStore x : list) {
            if (x == m) {
                return true;
            }
        }
        return false;
    }

    private static void removeIdentity(List<MessageStore> list, MessageStore m) {
        list.removeIf(x -> x == m);
    }
}
