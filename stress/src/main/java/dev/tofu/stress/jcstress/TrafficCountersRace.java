package dev.tofu.stress.jcstress;

import dev.tofu.internal.engine.TrafficCounters;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link TrafficCounters}: a reader that sees a writer's frames counted also sees their bytes, so
 * {@code Reactor.stats()} (which reads frames before bytes) never shows frames without their bytes.
 */
@JCStressTest
@Description("a writer counts 1 frame of 10 bytes while a reader reads frames, then bytes")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "read before the count")
@Outcome(id = "0, 10", expect = ACCEPTABLE, desc = "read between the bytes and the frame")
@Outcome(id = "1, 10", expect = ACCEPTABLE, desc = "read after the count")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "a frame counted without its bytes")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class TrafficCountersRace {
    private final TrafficCounters counters = new TrafficCounters();

    /** The channel writer after a write returned. */
    @Actor
    public void writer() {
        counters.countOut(1, 10);
    }

    /** {@code Reactor.stats()}: frames first, then bytes. */
    @Actor
    public void reader(JJ_Result r) {
        r.r1 = counters.messagesOut();
        r.r2 = counters.bytesOut();
    }
}
