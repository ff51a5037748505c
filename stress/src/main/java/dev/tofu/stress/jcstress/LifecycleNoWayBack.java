package dev.tofu.stress.jcstress;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.Status;
import dev.tofu.internal.engine.ChannelLifecycle;
import dev.tofu.internal.engine.ChannelLifecycle.CloseCause;
import dev.tofu.internal.engine.ChannelLifecycle.Snapshot;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZZZ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The lifecycle's non-closing transitions race a close on a connecting client channel. The client's
 * writer thread (which is also its connector) reports {@code opened()} and later marks
 * {@code byeResponseWritten()}; meanwhile an application ByeSignal begins the close and its finisher
 * completes it. No transition leaves CLOSING or CLOSED: the channel ends CLOSED with the ByeSignal's
 * cause whatever the order, the ByeResponse mark is set exactly when its call reported success, and
 * it cannot succeed once the close began.
 *
 * <p>Result: r1 = opened() succeeded, r2 = byeResponseWritten() succeeded, r3 = the channel ends
 * CLOSED with the ByeSignal's cause (finish succeeded once), r4 = the mark matches r2.
 */
@JCStressTest
@Description("opened() then byeResponseWritten() racing beginClose()+finish(): nothing leaves CLOSING or CLOSED")
@Outcome(id = "true, true, true, true", expect = ACCEPTABLE, desc = "connected and ByeResponse written, then the close")
@Outcome(id = "true, false, true, true", expect = ACCEPTABLE_INTERESTING, desc = "connected; the close beat the ByeResponse mark")
@Outcome(id = "false, false, true, true", expect = ACCEPTABLE_INTERESTING, desc = "the close beat the connect (and so the mark)")
@Outcome(id = "false, true, .*", expect = FORBIDDEN, desc = "the ByeResponse mark succeeded after the close began")
@Outcome(id = ".*, .*, false, .*", expect = FORBIDDEN, desc = "a transition left CLOSING/CLOSED, or the cause was lost")
@Outcome(id = ".*, .*, .*, false", expect = FORBIDDEN, desc = "the ByeResponse mark disagrees with its call")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class LifecycleNoWayBack {
    private final ChannelLifecycle life = new ChannelLifecycle(false); // OPENING: a connecting client
    private final CloseCause byeSignal = new CloseCause(Status.CHANNEL_CLOSED, new MessageStore(dev.tofu.internal.message.Owner.APPLICATION), false);
    private boolean finished;

    @Actor
    public void connectorThenWriter(ZZZZ_Result r) {
        r.r1 = life.opened();
        r.r2 = life.byeResponseWritten();
    }

    @Actor
    public void byeSignalAndFinisher() {
        finished = life.beginClose(byeSignal) && life.finish();
    }

    @Arbiter
    public void check(ZZZZ_Result r) {
        Snapshot s = life.snapshot();
        r.r3 = finished && s.state() == ChannelLifecycle.State.CLOSED && s.cause() == byeSignal;
        r.r4 = s.byeResponseWritten() == r.r2;
    }
}
