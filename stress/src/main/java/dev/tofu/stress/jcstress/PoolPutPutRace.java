package dev.tofu.stress.jcstress;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.MessagePool;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §6.2: two application threads put a message each into an empty pool with
 * {@code maxPoolMsgs} = 1. The pool keeps exactly one and drops the other: it never holds more than
 * {@code maxPoolMsgs} idle messages, and it never drops a message it had room for.
 *
 * <p>Result: r1 = idle count, r2 = dropped count, r3 = which one was kept (1 = a, 2 = b).
 */
@JCStressTest
@Description("put racing put into a pool with room for one: exactly one kept, one dropped")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "a kept, b dropped")
@Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "b kept, a dropped")
@Outcome(id = "2, .*", expect = FORBIDDEN, desc = "more than maxPoolMsgs idle")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "both dropped although the pool had room")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class PoolPutPutRace {
    private final MessagePool pool = new MessagePool(0, 1);
    private final MessageStore a = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
    private final MessageStore b = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);

    @Actor
    public void putA() {
        pool.put(a);
    }

    @Actor
    public void putB() {
        pool.put(b);
    }

    @Arbiter
    public void check(III_Result r) {
        r.r1 = pool.idleCount();
        r.r2 = (int) pool.droppedCount();
        MessageStore kept = pool.get(AllocationStrategy.POOL_ONLY);
        r.r3 = kept == a ? 1 : kept == b ? 2 : 0;
    }
}
