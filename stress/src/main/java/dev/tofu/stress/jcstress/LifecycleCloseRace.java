package dev.tofu.stress.jcstress;

import dev.tofu.Status;
import dev.tofu.internal.engine.ChannelLifecycle;
import dev.tofu.internal.engine.ChannelLifecycle.CloseCause;
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
 * Two close causes race (a ByeSignal posted by the application against peer EOF seen by the
 * reader), while a third actor tries to finish: exactly one cause wins, and the channel finishes
 * exactly once, with the winner's reason.
 */
@JCStressTest
@Description("Racing close causes: exactly one beginClose wins; finish succeeds exactly once")
@Outcome(id = "true, false, true, true", expect = ACCEPTABLE, desc = "ByeSignal won, its cause stands, one finish")
@Outcome(id = "false, true, true, true", expect = ACCEPTABLE, desc = "peer EOF won, its cause stands, one finish")
@Outcome(id = "true, true, .*, .*", expect = FORBIDDEN, desc = "two causes won: two close notices")
@Outcome(id = "false, false, .*, .*", expect = FORBIDDEN, desc = "no cause won")
@Outcome(id = ".*, .*, false, .*", expect = FORBIDDEN, desc = "finish did not succeed exactly once")
@Outcome(id = ".*, .*, .*, false", expect = FORBIDDEN, desc = "the recorded cause is not the winner's")
@State
public class LifecycleCloseRace {
    private final ChannelLifecycle life = new ChannelLifecycle(true);
    private final CloseCause byeSignal = new CloseCause(Status.CHANNEL_CLOSED, null, false);
    private final CloseCause peerEof = new CloseCause(Status.PEER_DISCONNECTED, null, false);

    @Actor
    public void appPostsByeSignal(ZZZZ_Result r) {
        r.r1 = life.beginClose(byeSignal);
    }

    @Actor
    public void readerSeesEof(ZZZZ_Result r) {
        r.r2 = life.beginClose(peerEof);
    }

    @Arbiter
    public void finisher(ZZZZ_Result r) {
        boolean first = life.finish();
        boolean second = life.finish();
        r.r3 = first && !second && life.state() == ChannelLifecycle.State.CLOSED;
        CloseCause c = life.cause();
        r.r4 = (r.r1 && c == byeSignal) || (r.r2 && c == peerEof);
    }
}
