package dev.tofu.stress.jcstress;

import dev.tofu.internal.concurrent.SpinSlots;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.JJ_Result;
import org.openjdk.jcstress.infra.results.ZZI_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The readers' spin slots (Options.readSpin) under racing readers: two readers never both take
 * the last slot, a slot given back is never lost or doubled, and readers arriving at once are all
 * counted, also when one of them starts a new period.
 */
public class SpinSlotsRace {
    private static final long PERIOD = 1_000;
    private static final long IN_PERIOD = PERIOD << SpinSlots.PERIOD_SHIFT;
    private static final long IN_NEXT_PERIOD = (PERIOD + 1) << SpinSlots.PERIOD_SHIFT;

    private SpinSlotsRace() {
    }

    /** Two readers, one slot: exactly one spins. r3 = readers spinning afterwards. */
    @JCStressTest
    @Description("two readers race for the last spin slot")
    @Outcome(id = {"true, false, 1", "false, true, 1"}, expect = ACCEPTABLE, desc = "exactly one reader spins")
    @Outcome(id = "true, true, .*", expect = FORBIDDEN, desc = "more readers spin than there are slots")
    @Outcome(id = "false, false, .*", expect = FORBIDDEN, desc = "a free slot was refused")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class LastSlot {
        private final SpinSlots slots = new SpinSlots(1);
        private boolean a;
        private boolean b;

        @Actor
        public void first() {
            a = slots.tryTake(IN_PERIOD);
        }

        @Actor
        public void second() {
            b = slots.tryTake(IN_PERIOD);
        }

        @Arbiter
        public void check(ZZI_Result r) {
            r.r1 = a;
            r.r2 = b;
            r.r3 = slots.spinning();
        }
    }

    /** A spinning reader gives its slot back while another tries to take it. r1 = 1 if the taker spins; r2 = spinning afterwards. */
    @JCStressTest
    @Description("a slot given back races a reader taking it")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the taker saw the freed slot")
    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "the taker came first and parks; the slot is free")
    @Outcome(expect = FORBIDDEN, desc = "a slot was lost or doubled")
    @State
    public static class GiveVsTake {
        private final SpinSlots slots = new SpinSlots(1);
        private int took;

        public GiveVsTake() {
            slots.tryTake(IN_PERIOD);
        }

        @Actor
        public void spinner() {
            slots.release();
        }

        @Actor
        public void taker() {
            took = slots.tryTake(IN_PERIOD) ? 1 : 0;
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = took;
            r.r2 = slots.spinning();
        }
    }

    /**
     * One reader counted in a period; two readers arrive in the next at once, one of them rolling
     * the period over. r1 = busy readers seen in the next period (both counted: 2), r2 = busy
     * readers seen a period later (the next period's count as the previous one: 2).
     */
    @JCStressTest
    @Description("two readers arrive together in a new period")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "both readers counted, and kept as the previous period's count")
    @Outcome(expect = FORBIDDEN, desc = "an arrival was lost or counted twice")
    @State
    public static class ArrivalsInANewPeriod {
        private final SpinSlots slots = new SpinSlots(2);

        public ArrivalsInANewPeriod() {
            slots.arrive(PERIOD);
        }

        @Actor
        public void reader1() {
            slots.arrive(PERIOD + 1);
        }

        @Actor
        public void reader2() {
            slots.arrive(PERIOD + 1);
        }

        @Arbiter
        public void check(JJ_Result r) {
            r.r1 = slots.busyReaders(IN_NEXT_PERIOD);
            r.r2 = slots.busyReaders((PERIOD + 2) << SpinSlots.PERIOD_SHIFT);
        }
    }

    /** Three readers arrive in the same period at once with two slots: all counted, spinning turns off. */
    @JCStressTest
    @Description("three readers arrive together in one period")
    @Outcome(id = "3, 1", expect = ACCEPTABLE, desc = "all three counted: more busy readers than slots, no spinning")
    @Outcome(expect = FORBIDDEN, desc = "an arrival was lost")
    @State
    public static class ArrivalsInOnePeriod {
        private final SpinSlots slots = new SpinSlots(2);

        @Actor
        public void reader1() {
            slots.arrive(PERIOD);
        }

        @Actor
        public void reader2() {
            slots.arrive(PERIOD);
        }

        @Actor
        public void reader3() {
            slots.arrive(PERIOD);
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = (int) slots.busyReaders(IN_PERIOD);
            r.r2 = slots.crowded(IN_PERIOD) ? 1 : 0;
        }
    }
}
