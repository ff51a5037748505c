package dev.tofu.stress.jcstress;

import dev.tofu.internal.concurrent.Slots;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.ZZI_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The channel limits (Options.maxChannels, maxChannelsPerListener) are {@link Slots}: two accepts
 * (or posts) racing for the last slot never both get it, and a slot given back by a finishing
 * channel is either seen by a racing taker or left free, never lost or doubled.
 */
public class SlotsRace {
    private SlotsRace() {
    }

    /** Two takers, one slot left: exactly one wins. r3 = slots taken afterwards. */
    @JCStressTest
    @Description("two takers race for the last slot")
    @Outcome(id = {"true, false, 1", "false, true, 1"}, expect = ACCEPTABLE, desc = "exactly one got the last slot")
    @Outcome(id = "true, true, .*", expect = FORBIDDEN, desc = "the limit was overshot")
    @Outcome(id = "false, false, .*", expect = FORBIDDEN, desc = "a free slot was refused")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class LastSlot {
        private final Slots slots = new Slots(1);
        private boolean a;
        private boolean b;

        @Actor
        public void first() {
            a = slots.tryTake();
        }

        @Actor
        public void second() {
            b = slots.tryTake();
        }

        @Arbiter
        public void check(ZZI_Result r) {
            r.r1 = a;
            r.r2 = b;
            r.r3 = slots.taken();
        }
    }

    /**
     * The limit is full; a finishing channel gives its slot back while a new connection tries to
     * take one. r1 = 1 if the taker got it, r2 = slots taken afterwards, r3 = 1 if one more take
     * afterwards succeeds.
     */
    @JCStressTest
    @Description("give back racing take at the limit")
    @Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "the taker saw the freed slot and took it")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "the taker came first and was refused; the slot stays free")
    @Outcome(expect = FORBIDDEN, desc = "a slot was lost, doubled, or the limit overshot")
    @State
    public static class GiveVsTake {
        private final Slots slots = new Slots(2);
        private int took;

        public GiveVsTake() {
            slots.tryTake();
            slots.tryTake();
        }

        @Actor
        public void finisher() {
            slots.give();
        }

        @Actor
        public void acceptor() {
            took = slots.tryTake() ? 1 : 0;
        }

        @Arbiter
        public void check(III_Result r) {
            r.r1 = took;
            r.r2 = slots.taken();
            r.r3 = slots.tryTake() ? 1 : 0;
        }
    }
}
