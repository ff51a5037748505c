package dev.tofu.properties;

import static dev.tofu.testing.Stores.store;

import static dev.tofu.testing.Stores.v;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.internal.engine.ChannelLifecycle;
import dev.tofu.internal.engine.ChannelLifecycle.CloseCause;
import dev.tofu.internal.engine.ChannelLifecycle.State;
import dev.tofu.internal.io.Outbox;
import dev.tofu.internal.message.Owner;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The channel lifecycle ({@link ChannelLifecycle}) and outbound queue ({@link Outbox}) driven, the way
 * {@code IoChannel}, its {@code ChannelWriter} and {@code Channel.finish()} drive them, through random sequences of the events a
 * client channel meets (PROTOCOL.md §5.3, §5.5, §5.6): connect, posts of data and bye messages, writer
 * batches, ByeResponse received, peer EOF, group destroy, and the last job ending. A small model says
 * what the state, the cause and the close notices must be; after every step the invariants are
 * checked: the state matches the model, CLOSED is terminal, at most one close notice, nothing is
 * written after a bye-type frame except the ByeResponse after a ByeRequest, and every posted message
 * is in exactly one place. At the end the channel is closed and every message queued must have ended
 * written or returned.
 */
class LifecycleStateMachineTest {

    @Property(tries = 300)
    void theLifecycleFollowsItsModelAndNothingIsStranded(@ForAll("events") ActionChain<Channel> chain) {
        chain.withInvariant("state matches the model", Channel::stateMatchesModel)
                .withInvariant("CLOSED is terminal", Channel::closedIsTerminal)
                .withInvariant("at most one close notice (§5.6)", Channel::atMostOneNotice)
                .withInvariant("no send after a bye is written (§2.3, §5.5.1)", Channel::noSendAfterBye)
                .withInvariant("every posted message is in exactly one place", Channel::everyMessageOnce);
        Channel ch = chain.run();
        ch.closeAndFinish();
        ch.everyQueuedMessageEndedWrittenOrReturned();
    }

    @Provide
    Arbitrary<ActionChain<Channel>> events() {
        return ActionChain.startWith(Channel::new)
                .withAction(act("connected", Channel::connected))
                .withAction(3, act("post Request", c -> c.post(OpCode.REQUEST)))
                .withAction(act("post ByeRequest", c -> c.post(OpCode.BYE_REQUEST)))
                .withAction(act("post ByeResponse", c -> c.post(OpCode.BYE_RESPONSE)))
                .withAction(act("post ByeSignal", c -> c.post(OpCode.BYE_SIGNAL)))
                .withAction(3, act("writer writes a batch", Channel::writeBatch))
                .withAction(act("ByeResponse received", c -> c.beginClose(new CloseCause(Status.CHANNEL_CLOSED, null, false))))
                .withAction(act("peer EOF", c -> c.beginClose(new CloseCause(c.life.peerLossReason(), null, false))))
                .withAction(act("group destroy", c -> c.beginClose(new CloseCause(Status.CHANNEL_CLOSED, null, true))))
                .withAction(Action.<Channel>when(c -> c.life.isClosing())
                        .just(Transformer.mutate("last job ends: finish()", Channel::finishIfClosing)))
                .withMaxTransformations(25);
    }

    private static Action<Channel> act(String name, Consumer<Channel> event) {
        return Action.just(Transformer.mutate(name, event));
    }

    /** Where a posted message is. */
    enum Place { QUEUED, WRITTEN, RETURNED, RECYCLED, REFUSED, TRIGGER }

    /**
     * One client channel: the real lifecycle and outbox, the writer's rules copied from
     * {@code ChannelWriter.run()}, and the model the property checks them against.
     */
    static final class Channel {
        final ChannelLifecycle life = new ChannelLifecycle(false);
        final Outbox outbox = new Outbox();
        final Map<MessageStore, Place> places = new IdentityHashMap<>();
        final List<MessageStore> wire = new ArrayList<>();   // what the writer wrote, in order
        final List<MessageStore> bundle = new ArrayList<>(); // returned to the group, in order
        int closeNotices;
        boolean writerByeRequestWritten;                 // the writer's own flag (ChannelWriter.run)
        boolean writerDone;                              // the writer wrote a ByeResponse or was stopped

        // the model
        State model = State.OPENING;
        CloseCause modelCause;
        boolean modelByeResponseWritten;
        boolean sawClosed;

        void connected() {
            boolean ok = life.opened();
            assertEquals(model == State.OPENING, ok, "opened() succeeds exactly from OPENING");
            if (ok) {
                model = State.OPEN;
            }
        }

        /** IoChannel.accept(): a ByeSignal that wins beginClose is the trigger; anything else is offered. */
        void post(OpCode op) {
            MessageStore m = store(new dev.tofu.Message().opCode(op).channel(5).messageId(places.size() + 1));
            m.setOwner(Owner.ENGINE); // post() took it
            if (op == OpCode.BYE_SIGNAL && beginClose(new CloseCause(Status.CHANNEL_CLOSED, m, false))) {
                places.put(m, Place.TRIGGER);
                return;
            }
            places.put(m, outbox.offer(m) ? Place.QUEUED : Place.REFUSED);
            if (places.get(m) == Place.REFUSED) {
                assertEquals(State.CLOSED, model, "an offer is refused only after the close bundle was drained");
            }
        }

        /** One turn of ChannelWriter.run(): a batch, or after a ByeRequest only a ByeResponse. */
        void writeBatch() {
            if (writerDone) {
                return;
            }
            MessageStore[] batch = new MessageStore[8];
            int n;
            try {
                if (!writerByeRequestWritten) {
                    n = outbox.takeBatch(batch, batch.length, 0);
                } else {
                    MessageStore r = outbox.takeByeResponse(0);
                    batch[0] = r;
                    n = r == null ? 0 : 1;
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (n == 0) {
                return;
            }
            assertFalse(life.isClosing(), "the writer takes nothing once the close began (the outbox is stopped)");
            for (int i = 0; i < n; i++) {
                wire.add(batch[i]);
                places.put(batch[i], Place.WRITTEN);
            }
            int last = batch[n - 1].opCode().code();
            outbox.doneWriting(last == OpCode.BYE_RESPONSE.code() || last == OpCode.BYE_REQUEST.code());
            if (last == OpCode.BYE_RESPONSE.code()) {
                assertTrue(life.byeResponseWritten(), "the ByeResponse mark succeeds while open");
                modelByeResponseWritten = true;
                writerDone = true;
            } else if (last == OpCode.BYE_REQUEST.code()) {
                writerByeRequestWritten = true;
            }
        }

        /** Channel.beginClose(): the lifecycle decides; the winner stops the writer (closeTransport). */
        boolean beginClose(CloseCause cause) {
            boolean won = life.beginClose(cause);
            boolean expected = model == State.OPENING || model == State.OPEN;
            assertEquals(expected, won, "beginClose wins exactly from OPENING or OPEN (was " + model + ")");
            if (won) {
                model = State.CLOSING;
                modelCause = cause;
                outbox.stop();
                writerDone = true;
            }
            return won;
        }

        /** Channel.finish(), run by the last job to end: bundle (or silent recycle), then CLOSED. */
        void finishIfClosing() {
            if (!life.finish()) {
                assertEquals(State.CLOSED, model, "finish() fails only once finished");
                return;
            }
            assertEquals(State.CLOSING, model, "finish() succeeds exactly from CLOSING");
            model = State.CLOSED;
            CloseCause cause = life.cause();
            assertSame(modelCause, cause, "the first cause stands");
            List<MessageStore> unsent = outbox.closeAndDrain();
            Place where = cause.silent() ? Place.RECYCLED : Place.RETURNED;
            if (cause.trigger() != null) {
                bundle.add(cause.trigger());
                places.put(cause.trigger(), where);
            }
            for (MessageStore m : unsent) {
                assertEquals(Place.QUEUED, places.get(m), "only queued messages are drained");
                places.put(m, where);
                if (!cause.silent()) {
                    bundle.add(m);
                }
            }
            if (!cause.silent()) {
                closeNotices++;
            }
        }

        void closeAndFinish() {
            if (!life.isClosing()) {
                beginClose(new CloseCause(life.peerLossReason(), null, false));
            }
            finishIfClosing();
            assertEquals(State.CLOSED, life.state());
        }

        // ---- invariants ----------------------------------------------------------------------

        void stateMatchesModel() {
            ChannelLifecycle.Snapshot s = life.snapshot();
            assertEquals(model, s.state(), "lifecycle state");
            assertSame(modelCause, s.cause(), "close cause");
            assertEquals(modelByeResponseWritten, s.byeResponseWritten(), "ByeResponse mark");
            assertEquals(modelByeResponseWritten ? Status.CHANNEL_CLOSED : Status.PEER_DISCONNECTED,
                    life.peerLossReason(), "§5.5.1: peer loss after our ByeResponse is a normal close");
        }

        void closedIsTerminal() {
            if (sawClosed) {
                assertEquals(State.CLOSED, life.state(), "CLOSED is terminal");
                assertFalse(life.opened() || life.beginClose(new CloseCause(Status.RECV_FAILED, null, false))
                        || life.finish() || life.byeResponseWritten(), "no transition leaves CLOSED");
            }
            sawClosed |= life.state() == State.CLOSED;
        }

        void atMostOneNotice() {
            assertTrue(closeNotices <= 1, "close notices: " + closeNotices);
        }

        void noSendAfterBye() {
            for (int i = 0; i < wire.size(); i++) {
                int op = wire.get(i).opCode().code();
                if (op == OpCode.BYE_SIGNAL.code()) {
                    fail("a ByeSignal was written (§9 item 1: never transmitted)");
                }
                if (op == OpCode.BYE_RESPONSE.code() && i != wire.size() - 1) {
                    fail("written after a ByeResponse: " + wire.subList(i, wire.size()));
                }
                if (op == OpCode.BYE_REQUEST.code()) {
                    for (MessageStore later : wire.subList(i + 1, wire.size())) {
                        if (later.opCode() != OpCode.BYE_RESPONSE) {
                            fail("written after a ByeRequest: " + later);
                        }
                    }
                }
            }
        }

        void everyMessageOnce() {
            long inQueue = places.values().stream().filter(p -> p == Place.QUEUED).count();
            assertEquals(inQueue, outbox.size(), "messages queued in the outbox");
            long wired = places.values().stream().filter(p -> p == Place.WRITTEN).count();
            assertEquals(wired, wire.size(), "messages written");
            assertEquals(wire.size(), wire.stream().distinct().count(), "no message written twice");
            assertEquals(bundle.size(), bundle.stream().distinct().count(), "no message returned twice");
            if (!bundle.isEmpty() && modelCause != null && modelCause.trigger() != null) {
                assertSame(modelCause.trigger(), bundle.get(0), "§5.6: the trigger comes back first");
            }
        }

        void everyQueuedMessageEndedWrittenOrReturned() {
            for (Map.Entry<MessageStore, Place> e : places.entrySet()) {
                Place p = e.getValue();
                assertTrue(p == Place.WRITTEN || p == Place.RETURNED || p == Place.RECYCLED || p == Place.REFUSED,
                        "after the close " + e.getKey() + " is " + p);
            }
            assertEquals(0, outbox.size(), "nothing left in the outbox");
            assertFalse(outbox.offer(new MessageStore(dev.tofu.internal.message.Owner.APPLICATION)), "the outbox refuses posts after the close");
            assertEquals(modelCause.silent() ? 0 : 1, closeNotices, "exactly one close notice unless silent");
        }
    }
}
