package dev.tofu.stress.jcstress;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §6.2: the pool ({@code maxPoolMsgs} = 1) holds one message {@code p}. One application
 * thread puts its message {@code a} and then takes one with {@code get(POOL_ONLY)}; another thread
 * takes one at the same time. No message goes to two holders, none is lost (each of {@code p} and
 * {@code a} ends exactly once: with a taker, idle, or dropped by the full pool) and the pool never
 * holds more than {@code maxPoolMsgs}.
 *
 * <p>Result: r1, r2 = what each taker got (0 nothing, 1 {@code p}, 2 {@code a}); r3 = idle count
 * afterwards; r4 = 1 if every message is accounted for exactly once and owned by the right party.
 */
@JCStressTest
@Description("put+get racing get on a full pool: no duplicate, no loss, idle <= maxPoolMsgs")
@Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "put met the full pool (a dropped); the putter then won p")
@Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "the other taker won p; a was dropped or never taken back")
@Outcome(id = "2, 1, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "the other taker got p first, so a was kept and the putter got it back (LIFO)")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "p handed to two holders")
@Outcome(id = "2, 2, .*", expect = FORBIDDEN, desc = "a handed to two holders")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "p lost: both takers found the pool empty")
@Outcome(id = ".*, .*, [2-9], .*", expect = FORBIDDEN, desc = "more than maxPoolMsgs idle")
@Outcome(id = ".*, .*, .*, 0", expect = FORBIDDEN, desc = "a message lost, counted twice, or owned by the wrong party")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class PoolGetPutRace {

    private final MessagePool pool = new MessagePool(0, 1);
    private final MessageStore p = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
    private final MessageStore a = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
    private MessageStore got1;
    private MessageStore got2;

    public PoolGetPutRace() {
        pool.put(p); // adopted: the pool now holds p and is full
    }

    @Actor
    public void putThenGet() {
        pool.put(a);
        got1 = pool.get(AllocationStrategy.POOL_ONLY);
    }

    @Actor
    public void get() {
        got2 = pool.get(AllocationStrategy.POOL_ONLY);
    }

    @Arbiter
    public void check(IIII_Result r) {
        r.r1 = id(got1);
        r.r2 = id(got2);
        r.r3 = pool.idleCount();
        int pSeen = 0;
        int aSeen = (int) pool.droppedCount(); // only a can be dropped: nobody puts p
        boolean owners = true;
        for (MessageStore m : new MessageStore[] {got1, got2}) {
            if (m != null) {
                owners &= m.owner() == Owner.APPLICATION;
                pSeen += m == p ? 1 : 0;
                aSeen += m == a ? 1 : 0;
            }
        }
        MessageStore m;
        while ((m = pool.get(AllocationStrategy.POOL_ONLY)) != null) { // whatever is still idle
            pSeen += m == p ? 1 : 0;
            aSeen += m == a ? 1 : 0;
        }
        r.r4 = pSeen == 1 && aSeen == 1 && owners && pool.createdCount() == 0 ? 1 : 0;
    }

    private int id(MessageStore m) {
        return m == null ? 0 : m == p ? 1 : m == a ? 2 : 9;
    }
}
