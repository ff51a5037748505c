package dev.tofu.pool;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pool fairness (issue 19): a message given back while a reader waits goes to a waiting reader,
 * the oldest first, not to whoever takes next; non-waiting engine takes yield while a reader waits;
 * nothing is lost when a waiter withdraws.
 */
class MessagePoolFairnessTest {

    @Test
    @Timeout(20)
    void aMessagePutBackWhileAReaderWaitsGoesToTheReaderNotToThePuttersNextGet() throws Exception {
        MessagePool pool = new MessagePool(0, 64);
        CompletableFuture<MessageStore> taken = new CompletableFuture<>();
        Thread reader = Thread.ofVirtual().name("pool-waiter").start(() -> {
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
        MessagePoolTest.awaitParked(reader, Duration.ofSeconds(10));

        MessageStore given = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        pool.put(given);
        MessageStore next = pool.get(AllocationStrategy.ALWAYS); // what a Server handler does right after
        assertNotSame(given, next, "the putter's own next get does not take the message a reader waits for");
        assertSame(given, taken.get(15, TimeUnit.SECONDS), "the waiting reader gets the message put back");
        assertEquals(Owner.ENGINE, given.owner());
    }

    @Test
    void waitersAreServedOldestFirstAndNonWaitingTakesYieldToThem() throws Exception {
        MessagePool pool = new MessagePool(0, 64);
        MessagePool.Waiter first = pool.enlist();
        MessagePool.Waiter second = pool.enlist();
        MessageStore a = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        MessageStore b = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        pool.put(a);
        assertNull(pool.tryTakeForEngine(), "a non-waiting take yields while readers wait");
        assertEquals(0, pool.tryTakeForEngine(new MessageStore[4], 4, 7), "so does a batch take");
        pool.put(b);
        assertSame(a, pool.awaitForEngine(first, 0), "the oldest waiter gets the first message");
        assertSame(b, pool.awaitForEngine(second, 0), "the next waiter the next one");
        pool.withdraw(first);
        pool.withdraw(second);
        MessageStore c = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        pool.put(c);
        assertSame(c, pool.tryTakeForEngine(), "with nobody waiting, non-waiting takes take again");
    }

    @Test
    void aMessageHandedToAWaiterThatWithdrawsGoesToTheNextWaiterOrBackToThePool() throws Exception {
        MessagePool pool = new MessagePool(0, 64);
        MessagePool.Waiter gone = pool.enlist();
        MessagePool.Waiter next = pool.enlist();
        MessageStore a = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        pool.put(a);
        pool.withdraw(gone); // its channel closed before it took the message
        assertSame(a, pool.awaitForEngine(next, 0), "handed on to the next waiter");
        pool.withdraw(next);
        MessageStore b = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        MessagePool.Waiter last = pool.enlist();
        pool.put(b);
        pool.withdraw(last);
        assertEquals(1, pool.idleCount(), "with nobody left in line it is idle again");
        assertEquals(0, pool.droppedCount());
    }

    @Test
    void wakeWaitersAndCloseEndAWaitWithNullAndTheWaiterKeepsItsPlace() throws Exception {
        MessagePool pool = new MessagePool(0, 64);
        MessagePool.Waiter w = pool.enlist();
        MessagePool.Waiter later = pool.enlist();
        pool.wakeWaiters();
        assertNull(pool.awaitForEngine(w, TimeUnit.SECONDS.toNanos(10)), "woken: returns at once to re-check");
        MessageStore a = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        pool.put(a);
        assertSame(a, pool.awaitForEngine(w, 0), "still first in line");
        pool.withdraw(w);
        pool.close();
        assertNull(pool.awaitForEngine(later, TimeUnit.SECONDS.toNanos(10)), "a closed pool gives nothing");
        pool.withdraw(later);
    }

    // ---- property: random sequences against a model --------------------------------------------

    sealed interface Op permits Enlist, Withdraw, Put, Await, TakeNow {
    }

    record Enlist() implements Op {
    }

    record Withdraw(int pick) implements Op {
    }

    record Put() implements Op {
    }

    record Await(int pick) implements Op {
    }

    record TakeNow() implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Arbitraries.oneOf(
                Arbitraries.just(new Enlist()),
                Arbitraries.integers().between(0, 7).map(Withdraw::new),
                Arbitraries.just(new Put()),
                Arbitraries.integers().between(0, 7).map(Await::new),
                Arbitraries.just(new TakeNow()));
        return op.list().ofMaxSize(60);
    }

    /**
     * Model: a FIFO line of waiters; a put goes to the oldest waiter in line if there is one,
     * otherwise it is idle; a non-waiting take gets nothing while anyone is in line; a waiter that
     * withdraws with an untaken message passes it on as a put; every message is in exactly one
     * place (held by the test, handed to a waiter, or idle) and none is dropped.
     */
    @Property(tries = 300)
    void messagesGoToWaitersOldestFirstAndNoneIsLost(@ForAll("ops") List<Op> ops) throws Exception {
        MessagePool pool = new MessagePool(0, 64);
        List<MessagePool.Waiter> enlisted = new ArrayList<>();  // not withdrawn, in enlist order
        ArrayDeque<MessagePool.Waiter> line = new ArrayDeque<>(); // model: unserved, oldest first
        Map<MessagePool.Waiter, MessageStore> handed = new HashMap<>(); // model: given, not taken
        ArrayDeque<MessageStore> idle = new ArrayDeque<>();           // model: LIFO
        List<MessageStore> held = new ArrayList<>();
        int made = 0;
        for (Op op : ops) {
            switch (op) {
                case Enlist e -> {
                    MessagePool.Waiter w = pool.enlist();
                    enlisted.add(w);
                    line.addLast(w);
                }
                case Withdraw wd -> {
                    if (enlisted.isEmpty()) {
                        continue;
                    }
                    MessagePool.Waiter w = enlisted.remove(wd.pick() % enlisted.size());
                    pool.withdraw(w);
                    line.remove(w);
                    MessageStore m = handed.remove(w);
                    if (m != null) { // passed on like a put
                        give(m, line, handed, idle);
                    }
                }
                case Put p -> {
                    MessageStore m;
                    if (held.isEmpty()) {
                        m = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
                        made++;
                    } else {
                        m = held.remove(held.size() - 1);
                    }
                    pool.put(m);
                    give(m, line, handed, idle);
                }
                case Await a -> {
                    if (enlisted.isEmpty()) {
                        continue;
                    }
                    MessagePool.Waiter w = enlisted.get(a.pick() % enlisted.size());
                    MessageStore got = pool.awaitForEngine(w, 0);
                    MessageStore expected = handed.remove(w);
                    if (expected == null && !idle.isEmpty()) {
                        expected = idle.pop(); // an idle message while it waits: it takes one
                        line.remove(w);
                    }
                    assertSame(expected, got, "a waiter gets what was handed to it, in line order");
                    if (got != null) {
                        assertEquals(Owner.ENGINE, got.owner());
                        got.setOwner(Owner.APPLICATION); // the test holds it now, as a reader would
                        held.add(got);
                    }
                }
                case TakeNow t -> {
                    MessageStore got = pool.tryTakeForEngine();
                    if (!line.isEmpty()) {
                        assertNull(got, "a non-waiting take yields while a reader waits");
                    } else {
                        assertSame(idle.isEmpty() ? null : idle.pop(), got, "LIFO when nobody waits");
                    }
                    if (got != null) {
                        got.setOwner(Owner.APPLICATION);
                        held.add(got);
                    }
                }
            }
            assertEquals(idle.size(), pool.idleCount(), "idle count after " + op);
            assertEquals(0, pool.droppedCount(), "nothing dropped");
        }
        for (MessagePool.Waiter w : enlisted) {
            pool.withdraw(w);
        }
        assertEquals(made - held.size(), pool.idleCount(), "once every waiter withdrew, every message not held is idle");
    }

    private static void give(MessageStore m, ArrayDeque<MessagePool.Waiter> line, Map<MessagePool.Waiter, MessageStore> handed,
                             ArrayDeque<MessageStore> idle) {
        MessagePool.Waiter w = line.pollFirst();
        if (w != null) {
            handed.put(w, m);
        } else {
            idle.push(m);
        }
    }
}
