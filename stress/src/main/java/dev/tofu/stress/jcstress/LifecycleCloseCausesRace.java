package dev.tofu.stress.jcstress;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.Status;
import dev.tofu.internal.engine.ChannelLifecycle;
import dev.tofu.internal.engine.ChannelLifecycle.CloseCause;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §5.5, §5.6: two close causes of an open channel race, each on the thread that sees it,
 * and each thread then tries to complete the close as {@code Channel.finish()} does: the one
 * {@code finish()} that succeeds delivers the close notice unless the winning cause is silent.
 * Exactly one cause wins, exactly one transition to CLOSED happens, exactly one close notice is
 * delivered (none when group destroy won: it is silent), the recorded cause is the winner's, and
 * nothing moves the channel out of CLOSED afterwards.
 *
 * <p>The causes: ByeSignal posted by the application (its trigger is returned first), ByeResponse
 * received (reader), peer EOF or reset (reader, or writer on a failed write), group destroy (silent).
 * Each nested class races one pair that can meet on different threads (ByeSignal against peer EOF is
 * {@link LifecycleCloseRace}).
 *
 * <p>Result: r1 = the winning cause (1 = first actor, 2 = second; 0 none, 3 both), r2 = successful
 * finish() calls, r3 = close notices delivered, r4 = 1 if the final state is CLOSED with the winner's
 * cause and every later transition is refused.
 */
public class LifecycleCloseCausesRace {
    static final CloseCause BYE_SIGNAL = new CloseCause(Status.CHANNEL_CLOSED, new MessageStore(dev.tofu.internal.message.Owner.APPLICATION), false);
    static final CloseCause BYE_RESPONSE_RECEIVED = new CloseCause(Status.CHANNEL_CLOSED, null, false);
    static final CloseCause PEER_EOF = new CloseCause(Status.PEER_DISCONNECTED, null, false);
    static final CloseCause GROUP_DESTROY = new CloseCause(Status.CHANNEL_CLOSED, null, true);

    /** The shared state of every variant: one open channel and what each racing thread saw. */
    static class Race {
        final ChannelLifecycle life = new ChannelLifecycle(true);
        final CloseCause[] causes;
        final boolean[] won = new boolean[2];
        final boolean[] finished = new boolean[2];
        final boolean[] notified = new boolean[2];

        Race(CloseCause first, CloseCause second) {
            causes = new CloseCause[] {first, second};
        }

        void race(int i) {
            won[i] = life.beginClose(causes[i]);
            if (life.finish()) { // as Channel.finish(): the one success reports, unless silent
                finished[i] = true;
                notified[i] = !life.cause().silent();
            }
        }

        void check(IIII_Result r) {
            r.r1 = (won[0] ? 1 : 0) + (won[1] ? 2 : 0);
            r.r2 = (finished[0] ? 1 : 0) + (finished[1] ? 1 : 0);
            r.r3 = (notified[0] ? 1 : 0) + (notified[1] ? 1 : 0);
            CloseCause winner = r.r1 == 1 ? causes[0] : r.r1 == 2 ? causes[1] : null;
            boolean terminal = winner != null
                    && life.state() == ChannelLifecycle.State.CLOSED && life.cause() == winner
                    && !life.finish() && !life.opened() && !life.beginClose(PEER_EOF) && !life.byeResponseWritten()
                    && life.state() == ChannelLifecycle.State.CLOSED && life.cause() == winner;
            r.r4 = terminal ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("ByeSignal (application) racing group destroy: one winner, one CLOSED, one notice unless silent")
    @Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "ByeSignal won: one close, one notice")
    @Outcome(id = "2, 1, 0, 1", expect = ACCEPTABLE, desc = "group destroy won: one silent close, no notice")
    @Outcome(id = "3, .*", expect = FORBIDDEN, desc = "both causes won the close")
    @Outcome(id = "0, .*", expect = FORBIDDEN, desc = "no cause won the close")
    @Outcome(id = ".*, [02-9], .*", expect = FORBIDDEN, desc = "not exactly one transition to CLOSED")
    @Outcome(id = ".*, .*, [2-9], .*", expect = FORBIDDEN, desc = "more than one close notice")
    @Outcome(id = ".*, .*, .*, 0", expect = FORBIDDEN, desc = "wrong final state or cause, or a transition left CLOSED")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class ByeSignalVsGroupDestroy extends Race {
        public ByeSignalVsGroupDestroy() {
            super(BYE_SIGNAL, GROUP_DESTROY);
        }

        @Actor
        public void application() {
            race(0);
        }

        @Actor
        public void destroyer() {
            race(1);
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @Description("ByeResponse received (reader) racing peer EOF seen by the writer: one winner, one CLOSED, one notice")
    @Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "ByeResponse received won: one close, one notice")
    @Outcome(id = "2, 1, 1, 1", expect = ACCEPTABLE, desc = "peer EOF won: one close, one notice")
    @Outcome(id = "3, .*", expect = FORBIDDEN, desc = "both causes won the close")
    @Outcome(id = "0, .*", expect = FORBIDDEN, desc = "no cause won the close")
    @Outcome(id = ".*, [02-9], .*", expect = FORBIDDEN, desc = "not exactly one transition to CLOSED")
    @Outcome(id = ".*, .*, [02-9], .*", expect = FORBIDDEN, desc = "not exactly one close notice")
    @Outcome(id = ".*, .*, .*, 0", expect = FORBIDDEN, desc = "wrong final state or cause, or a transition left CLOSED")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class ByeResponseVsPeerEof extends Race {
        public ByeResponseVsPeerEof() {
            super(BYE_RESPONSE_RECEIVED, PEER_EOF);
        }

        @Actor
        public void reader() {
            race(0);
        }

        @Actor
        public void writer() {
            race(1);
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @Description("peer EOF (reader) racing group destroy: one winner, one CLOSED, one notice unless silent")
    @Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "peer EOF won: one close, one notice")
    @Outcome(id = "2, 1, 0, 1", expect = ACCEPTABLE, desc = "group destroy won: one silent close, no notice")
    @Outcome(id = "3, .*", expect = FORBIDDEN, desc = "both causes won the close")
    @Outcome(id = "0, .*", expect = FORBIDDEN, desc = "no cause won the close")
    @Outcome(id = ".*, [02-9], .*", expect = FORBIDDEN, desc = "not exactly one transition to CLOSED")
    @Outcome(id = ".*, .*, [2-9], .*", expect = FORBIDDEN, desc = "more than one close notice")
    @Outcome(id = ".*, .*, .*, 0", expect = FORBIDDEN, desc = "wrong final state or cause, or a transition left CLOSED")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class PeerEofVsGroupDestroy extends Race {
        public PeerEofVsGroupDestroy() {
            super(PEER_EOF, GROUP_DESTROY);
        }

        @Actor
        public void reader() {
            race(0);
        }

        @Actor
        public void destroyer() {
            race(1);
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            check(r);
        }
    }
}
