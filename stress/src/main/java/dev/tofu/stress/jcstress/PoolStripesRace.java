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
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §6.2 with a striped pool: two stripes A and B of one message each
 * ({@code maxPoolMsgs} = 2); A holds {@code p}, B is empty. A reader whose home is B (empty
 * until q arrives: it may have to look at A) races a channel whose writer keeps {@code q} and
 * {@code r} with home B (q fits on B, r spills to A if p has left it, else is dropped) and whose
 * reader then takes with home A. No message goes to two holders, none is lost (each of p, q, r
 * ends exactly once: with a reader, idle, or dropped), the second reader always gets one (after
 * its keep the pool is never empty), and the pool never holds more than two. (Two actors: this
 * machine has two cores, and jcstress runs no test with more actors than cores.)
 *
 * <p>Result: r1 = how many readers got a message; r2 = 1 if no message went to two holders;
 * r3 = idle count afterwards; r4 = 1 if every message is accounted for exactly once and owned by
 * the right party.
 */
@JCStressTest
@Description("takes and keeps across two stripes: no duplicate, no loss, idle <= maxPoolMsgs")
@Outcome(id = "1, 1, [0-2], 1", expect = ACCEPTABLE_INTERESTING, desc = "only one reader got a message")
@Outcome(id = "2, 1, [0-2], 1", expect = ACCEPTABLE, desc = "both readers got one: p and q, or p and a spilled r, or q and p")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "nobody got a message, though the channel's reader came after its own keep")
@Outcome(id = ".*, 0, .*", expect = FORBIDDEN, desc = "a message handed to two holders")
@Outcome(id = ".*, .*, [3-9], .*", expect = FORBIDDEN, desc = "more than maxPoolMsgs idle")
@Outcome(id = ".*, .*, .*, 0", expect = FORBIDDEN, desc = "a message lost, counted twice, or owned by the wrong party")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class PoolStripesRace {
    private static final int[] HOMES = homes();

    private final MessagePool pool = new MessagePool(0, 2, 2);
    private final MessageStore p = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
    private final MessageStore q = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
    private final MessageStore r = engineOwned(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
    private final MessageStore[] got1 = new MessageStore[2];
    private final MessageStore[] got2 = new MessageStore[2];
    private int n1;
    private int n2;

    public PoolStripesRace() {
        pool.recycleAll(new MessageStore[] {p}, 1, HOMES[0]); // adopted onto stripe A
    }

    /** Hints (channel numbers) whose homes are stripe 0 (A) and stripe 1 (B) of a two-stripe pool. */
    private static int[] homes() {
        MessagePool probe = new MessagePool(0, 2, 2);
        int a = -1;
        int b = -1;
        for (int hint = 0; a < 0 || b < 0; hint++) {
            if (probe.homeOf(hint) == 0 && a < 0) {
                a = hint;
            } else if (probe.homeOf(hint) == 1 && b < 0) {
                b = hint;
            }
        }
        return new int[] {a, b};
    }

    private static MessageStore engineOwned(MessageStore m) {
        m.setOwner(Owner.ENGINE);
        return m;
    }

    @Actor
    public void readerHomeB() {
        n1 = pool.tryTakeForEngine(got1, 2, HOMES[1]);
    }

    @Actor
    public void writerHomeBThenReaderHomeA() {
        pool.recycleAll(new MessageStore[] {q, r}, 2, HOMES[1]);
        n2 = pool.tryTakeForEngine(got2, 2, HOMES[0]);
    }

    @Arbiter
    public void check(IIII_Result res) {
        int[] seen = new int[3];
        boolean owners = true;
        int readers = 0;
        boolean twice = false;
        for (MessageStore[] got : new MessageStore[][] {java.util.Arrays.copyOf(got1, n1), java.util.Arrays.copyOf(got2, n2)}) {
            readers += got.length > 0 ? 1 : 0;
            for (MessageStore m : got) {
                owners &= m.owner() == Owner.ENGINE;
                int i = index(m);
                if (i < 0) {
                    owners = false;
                } else if (++seen[i] > 1) {
                    twice = true;
                }
            }
        }
        res.r1 = readers;
        res.r2 = twice ? 0 : 1;
        res.r3 = pool.idleCount();
        MessageStore m;
        while ((m = pool.tryTakeForEngine()) != null) { // whatever is still idle
            int i = index(m);
            if (i >= 0) {
                seen[i]++;
            } else {
                owners = false;
            }
        }
        long total = seen[0] + seen[1] + seen[2] + pool.droppedCount();
        res.r4 = seen[0] == 1 && seen[1] <= 1 && seen[2] <= 1 && total == 3 && owners && pool.createdCount() == 0 ? 1 : 0;
    }

    private int index(MessageStore m) {
        return m == p ? 0 : m == q ? 1 : m == r ? 2 : -1;
    }
}
