package dev.tofu.internal.engine;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.Status;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The lifecycle of one channel: the only way a channel changes state. Pure: no IO, no threads, so
 * property tests can drive it through random event sequences and jcstress can race its transitions.
 *
 * <pre>
 *   OPENING --opened()--> OPEN
 *   OPENING, OPEN --beginClose(cause)--> CLOSING --finish()--> CLOSED
 * </pre>
 *
 * <p>Invariants: the first {@link #beginClose} wins and fixes the {@link CloseCause} (reason,
 * triggering message, silent or not) for good; every later call returns {@code false}.
 * {@link #finish()} succeeds exactly once, and only from CLOSING, so a channel produces at most one
 * close notice whatever races (ByeSignal, ByeResponse received, peer EOF, group destroy). CLOSED is
 * terminal. The "ByeResponse written" mark only changes the reason a later peer loss reports.
 *
 * <p>Threads: every method is safe from any thread. The whole state is one immutable
 * {@link Snapshot} behind an {@link AtomicReference}; each transition is a compare-and-set, so a
 * reader of {@link #snapshot()} always sees a consistent state and cause.
 */
public final class ChannelLifecycle {
    /** The states of a channel. */
    public enum State {
        /** Connecting (client) or binding (listener). */
        OPENING,
        /** Connected, accepted or listening. */
        OPEN,
        /** A close has begun; the channel's threads are ending. */
        CLOSING,
        /** The close has been reported (or silently completed); terminal. */
        CLOSED
    }

    /**
     * Why a channel closes.
     *
     * @param reason  the status stamped on returned messages
     * @param trigger the message that asked for the close (returned first), or {@code null}
     * @param silent  whether the close reports nothing (group destroy, engine close)
     */
    public record CloseCause(Status reason, MessageStore trigger, boolean silent) {
        /** Checks the reason is present. */
        public CloseCause {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * One consistent view of the lifecycle.
     *
     * @param state              the state
     * @param cause              the close cause, {@code null} before a close began
     * @param byeResponseWritten whether this side has written a ByeResponse
     */
    public record Snapshot(State state, CloseCause cause, boolean byeResponseWritten) {
    }

    private final AtomicReference<Snapshot> current;

    /** Creates a lifecycle in {@code OPENING} (clients, listeners) or {@code OPEN} (accepted channels). */
    public ChannelLifecycle(boolean open) {
        current = new AtomicReference<>(new Snapshot(open ? State.OPEN : State.OPENING, null, false));
    }

    /** OPENING → OPEN. Returns false if the channel is not OPENING (for example a close began). */
    public boolean opened() {
        Snapshot s;
        do {
            s = current.get();
            if (s.state != State.OPENING) {
                return false;
            }
        } while (!current.compareAndSet(s, new Snapshot(State.OPEN, null, s.byeResponseWritten)));
        return true;
    }

    /**
     * OPENING/OPEN → CLOSING with {@code cause}.
     *
     * @return {@code true} for the one call that starts the close; {@code false} if a close had
     *         already begun (the earlier cause stands)
     */
    public boolean beginClose(CloseCause cause) {
        Objects.requireNonNull(cause, "cause");
        Snapshot s;
        do {
            s = current.get();
            if (s.state == State.CLOSING || s.state == State.CLOSED) {
                return false;
            }
        } while (!current.compareAndSet(s, new Snapshot(State.CLOSING, cause, s.byeResponseWritten)));
        return true;
    }

    /** CLOSING → CLOSED. Returns {@code true} exactly once, for the call that completes the close. */
    public boolean finish() {
        Snapshot s;
        do {
            s = current.get();
            if (s.state != State.CLOSING) {
                return false;
            }
        } while (!current.compareAndSet(s, new Snapshot(State.CLOSED, s.cause, s.byeResponseWritten)));
        return true;
    }

    /** Marks that this side wrote a ByeResponse; returns false once a close has begun. */
    public boolean byeResponseWritten() {
        Snapshot s;
        do {
            s = current.get();
            if (s.state == State.CLOSING || s.state == State.CLOSED) {
                return false;
            }
            if (s.byeResponseWritten) {
                return true;
            }
        } while (!current.compareAndSet(s, new Snapshot(s.state, null, true)));
        return true;
    }

    /**
     * Returns the reason a peer loss (EOF or reset) reports: {@link Status#CHANNEL_CLOSED} once this
     * side wrote its ByeResponse (the graceful close completing), else {@link Status#PEER_DISCONNECTED}.
     */
    public Status peerLossReason() {
        return current.get().byeResponseWritten ? Status.CHANNEL_CLOSED : Status.PEER_DISCONNECTED;
    }

    /** Returns the current state. */
    public State state() {
        return current.get().state;
    }

    /** Returns whether a close has begun (CLOSING or CLOSED). */
    public boolean isClosing() {
        State s = current.get().state;
        return s == State.CLOSING || s == State.CLOSED;
    }

    /** Returns the close cause, or {@code null} before a close began. */
    public CloseCause cause() {
        return current.get().cause;
    }

    /** Returns one consistent view of the whole lifecycle. */
    public Snapshot snapshot() {
        return current.get();
    }
}
