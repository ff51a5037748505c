package dev.tofu.stress.jcstress;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.internal.engine.ChannelLifecycle;
import dev.tofu.internal.engine.ChannelLifecycle.CloseCause;
import dev.tofu.internal.io.Outbox;
import dev.tofu.internal.message.Owner;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.util.ArrayList;
import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §5.5.2, §5.6: an application thread posts a message, then a ByeSignal, then another
 * message, while the channel's writer runs; once stopped the writer ends and, as the channel's last
 * job, runs the finisher, which drains the outbox into the close bundle. Every posted message ends in
 * exactly one place: written, returned in the close bundle, or refused by {@code post()} (the
 * application keeps it). None is stranded in the outbox, and nothing posted after the ByeSignal is
 * ever written.
 *
 * <p>The actors do what {@code IoChannel} and its {@code ChannelWriter} do: {@code accept()} offers to the outbox (a refusal
 * fails the post), a ByeSignal wins {@code beginClose} and stops the outbox ({@code closeTransport}),
 * the writer loops on {@code takeBatch} until it returns 0, and {@code finish()} calls
 * {@code closeAndDrain()} after the trigger.
 *
 * <p>Result: r1, r2 = the fate of the message posted before and after the ByeSignal (1 written,
 * 2 returned in the bundle, 3 refused, 0 stranded, 9 in two places); r3 = 1 if the bundle starts with
 * the ByeSignal, the outbox is empty and refuses offers, and the channel finished exactly once.
 */
@JCStressTest
@Description("ByeSignal racing posts and the writer: every message is written, returned or refused, never stranded")
@Outcome(id = "1, 2, 1", expect = ACCEPTABLE, desc = "first written; second queued before the drain, returned in the bundle")
@Outcome(id = "1, 3, 1", expect = ACCEPTABLE, desc = "first written; second posted after the drain, refused")
@Outcome(id = "2, 2, 1", expect = ACCEPTABLE_INTERESTING, desc = "the ByeSignal stopped the writer before it took the first: both returned")
@Outcome(id = "2, 3, 1", expect = ACCEPTABLE_INTERESTING, desc = "first returned in the bundle, second refused after the drain")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "the first message was stranded")
@Outcome(id = ".*, 0, .*", expect = FORBIDDEN, desc = "the second message was stranded")
@Outcome(id = "9, .*", expect = FORBIDDEN, desc = "the first message ended in two places")
@Outcome(id = ".*, 9, .*", expect = FORBIDDEN, desc = "the second message ended in two places")
@Outcome(id = ".*, 1, .*", expect = FORBIDDEN, desc = "a message posted after the ByeSignal was written")
@Outcome(id = "3, .*", expect = FORBIDDEN, desc = "a message posted before the ByeSignal was refused")
@Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "bad bundle, outbox not closed, or not exactly one finish")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class OutboxByeSignalRace {

    private final ChannelLifecycle life = new ChannelLifecycle(true);
    private final Outbox outbox = new Outbox();
    private final MessageStore before = posted(OpCode.REQUEST);
    private final MessageStore after = posted(OpCode.REQUEST);
    private final MessageStore bye = posted(OpCode.BYE_SIGNAL);
    private final List<MessageStore> written = new ArrayList<>(2);
    private List<MessageStore> bundle = List.of();
    private boolean refusedBefore;
    private boolean refusedAfter;
    private int finishes;

    private static MessageStore posted(OpCode op) {
        MessageStore m = dev.tofu.internal.message.MessageAccess.get().release(
                new dev.tofu.Message().opCode(op).channel(7).messageId(1));
        m.setOwner(Owner.ENGINE); // post() took it
        return m;
    }

    @Actor
    public void application() {
        refusedBefore = !outbox.offer(before);
        if (life.beginClose(new CloseCause(Status.CHANNEL_CLOSED, bye, false))) { // IoChannel.accept(ByeSignal)
            outbox.stop();                                                        // closeTransport()
        }
        refusedAfter = !outbox.offer(after);
    }

    @Actor
    public void writerThenFinisher() {
        MessageStore[] batch = new MessageStore[4];
        int n;
        while ((n = takeBatch(batch)) > 0) { // returns 0 once stopped
            for (int i = 0; i < n; i++) {
                written.add(batch[i]);
            }
            outbox.doneWriting(false); // ChannelWriter.run() gives up its writing rights after each batch
        }
        if (life.finish()) { // the writer was the last job: it runs Channel.finish()
            finishes++;
            List<MessageStore> b = new ArrayList<>();
            b.add(life.cause().trigger());
            b.addAll(outbox.closeAndDrain());
            bundle = b;
        }
    }

    private int takeBatch(MessageStore[] batch) {
        try {
            return outbox.takeBatch(batch, batch.length, Long.MAX_VALUE);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Arbiter
    public void check(III_Result r) {
        r.r1 = fate(before, refusedBefore);
        r.r2 = fate(after, refusedAfter);
        boolean ok = finishes == 1 && !bundle.isEmpty() && bundle.get(0) == bye
                && outbox.size() == 0 && !outbox.offer(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION));
        r.r3 = ok ? 1 : 0;
    }

    private int fate(MessageStore m, boolean refused) {
        boolean w = written.contains(m);
        boolean b = bundle.contains(m);
        int places = (w ? 1 : 0) + (b ? 1 : 0) + (refused ? 1 : 0);
        return places == 0 ? 0 : places > 1 ? 9 : w ? 1 : b ? 2 : 3;
    }
}
