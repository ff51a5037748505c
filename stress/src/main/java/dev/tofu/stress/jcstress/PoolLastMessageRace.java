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
import org.openjdk.jcstress.infra.results.ZZZZ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §6.2: two application threads call {@code get(POOL_ONLY)} on a pool holding exactly one
 * idle message. The last message goes to exactly one taker; the other gets {@code null} (not an
 * error), and {@code POOL_ONLY} never creates a message.
 *
 * <p>Result: r1, r2 = whether each taker got a message; r3 = both got the same one; r4 = the pool is
 * empty afterwards and the message taken is owned by the application.
 */
@JCStressTest
@Description("POOL_ONLY racing for the last idle message: exactly one taker gets it")
@Outcome(id = "true, false, false, true", expect = ACCEPTABLE, desc = "the first taker got the last message, the second null")
@Outcome(id = "false, true, false, true", expect = ACCEPTABLE, desc = "the second taker got the last message, the first null")
@Outcome(id = "true, true, true, .*", expect = FORBIDDEN, desc = "one message handed to two holders")
@Outcome(id = "true, true, false, .*", expect = FORBIDDEN, desc = "POOL_ONLY produced a second message")
@Outcome(id = "false, false, .*", expect = FORBIDDEN, desc = "the last message was lost: nobody got it")
@Outcome(id = ".*, .*, .*, false", expect = FORBIDDEN, desc = "pool not empty afterwards, or the taker does not own its message")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class PoolLastMessageRace {

    private final MessagePool pool = new MessagePool(1, 1);
    private MessageStore first;
    private MessageStore second;

    @Actor
    public void firstTaker() {
        first = pool.get(AllocationStrategy.POOL_ONLY);
    }

    @Actor
    public void secondTaker() {
        second = pool.get(AllocationStrategy.POOL_ONLY);
    }

    @Arbiter
    public void check(ZZZZ_Result r) {
        r.r1 = first != null;
        r.r2 = second != null;
        r.r3 = first != null && first == second;
        MessageStore got = first != null ? first : second;
        r.r4 = pool.idleCount() == 0 && pool.createdCount() == 1
                && (got == null || got.owner() == Owner.APPLICATION);
    }
}
