package dev.tofu.stress.jcstress;

import dev.tofu.internal.rpc.PendingCall;
import dev.tofu.internal.rpc.PendingTable;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A client's table of pending calls: two callers register calls with the same explicit message id
 * while the id's slot is held by another call and then freed, so one registration may take the
 * slot and the other the overflow map. At most one may stay registered, and the table must then
 * find exactly that one: a response is never handed to two calls, nor to a call that withdrew.
 *
 * <p>Result: r1 = a registered (1/0), r2 = b registered, r3 = which call {@code get} finds
 * (1 = a, 2 = b, 0 = none).
 */
@JCStressTest
@Description("register racing register of one id across slot and overflow: at most one stays")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "a registered, b refused")
@Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "b registered, a refused")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "each saw the other and both withdrew")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "two calls registered with one id")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class PendingTableRegisterRace {
    private static final long ID = 5 + 256 * 3;
    private final PendingTable table = new PendingTable();
    private final PendingCall occupant = new PendingCall(5, false); // same slot, other id
    private final PendingCall a = new PendingCall(ID, false);
    private final PendingCall b = new PendingCall(ID, false);
    private boolean wonA;
    private boolean wonB;

    public PendingTableRegisterRace() {
        table.register(occupant);
    }

    @Actor
    public void registerA() {
        wonA = table.register(a);
    }

    @Actor
    public void freeTheSlotThenRegisterB() {
        table.remove(occupant);
        wonB = table.register(b);
    }

    @Arbiter
    public void check(III_Result r) {
        r.r1 = wonA ? 1 : 0;
        r.r2 = wonB ? 1 : 0;
        PendingCall found = table.get(ID);
        r.r3 = found == a ? 1 : found == b ? 2 : 0;
    }
}
