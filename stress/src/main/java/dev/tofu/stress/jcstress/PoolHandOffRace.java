package dev.tofu.stress.jcstress;

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
 * Pool fairness (issue 19): a reader enlisted as waiting (it told the application the pool is
 * empty) looks once for a message and withdraws, while the application puts a message back and
 * then, as another channel's reader would, takes without waiting. The message goes to exactly one
 * place: the waiting reader (a put while it is in line is handed to it), the non-waiting taker (only
 * once the reader has withdrawn), or the idle stack (handed to the reader after its look, then kept
 * again by its withdraw). Never to the non-waiting taker while the reader is in line and has not
 * taken anything; never lost, never in two places.
 *
 * <p>Result: r1 = the waiting reader got it; r2 = the non-waiting take got it; r3 = it is idle in
 * the pool afterwards; r4 = the owners and counts agree (engine for a taker, pool when idle,
 * nothing dropped).
 */
@JCStressTest
@Description("A put while a reader waits goes to the reader, not to a non-waiting take; nothing lost")
@Outcome(id = "true, false, false, true", expect = ACCEPTABLE, desc = "the waiting reader got the message")
@Outcome(id = "false, true, false, true", expect = ACCEPTABLE, desc = "the reader had withdrawn: the next take got it")
@Outcome(id = "false, false, true, true", expect = ACCEPTABLE, desc = "handed after the reader's look: its withdraw kept it")
@Outcome(id = "true, true, .*", expect = FORBIDDEN, desc = "one message in two holders")
@Outcome(id = "false, false, false, .*", expect = FORBIDDEN, desc = "the message was lost")
@Outcome(id = ".*, .*, .*, false", expect = FORBIDDEN, desc = "owners or counts disagree")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class PoolHandOffRace {

    private final MessagePool pool = new MessagePool(0, 4);
    private final MessagePool.Waiter waiter = pool.enlist();
    private final MessageStore message = pool.create(Owner.APPLICATION);
    private MessageStore readerGot;
    private MessageStore takerGot;

    @Actor
    public void waitingReader() {
        try {
            readerGot = pool.awaitForEngine(waiter, 0); // one look, no wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.withdraw(waiter);
    }

    @Actor
    public void application() {
        pool.put(message);
        takerGot = pool.tryTakeForEngine(); // another channel's reader, not waiting
    }

    @Arbiter
    public void check(ZZZZ_Result r) {
        r.r1 = readerGot == message;
        r.r2 = takerGot == message;
        r.r3 = pool.idleCount() == 1;
        boolean owners = (r.r1 || r.r2) ? message.owner() == Owner.ENGINE : message.owner() == Owner.POOL;
        r.r4 = owners && pool.droppedCount() == 0 && (readerGot == null || readerGot == message)
                && (takerGot == null || takerGot == message) && pool.idleCount() == (r.r3 ? 1 : 0);
    }
}
