package dev.tofu.internal.rpc;

import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.TofuInterruptedException;
import dev.tofu.internal.concurrent.WaitTimer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One call waiting for its response: a hand-off of response parts (and, for streaming calls,
 * progress SIGNALs) from the thread that receives them (the channel's reader, through the
 * client's frame tap, or the client's receiver thread) to the one caller thread that waits.
 * It is also the call's {@link CallMetrics.Trace}, so a call costs one object here.
 *
 * <p>Threads: {@link #offer} is called by the thread that receives the call's frames (one at a
 * time: a channel's frames are delivered in order by one thread); {@link #fail} by that thread and
 * by threads closing the client; {@link #next}, {@link #abandon} and the trace by the caller
 * thread only. No locks: the producers push onto {@code inbox} with a CAS and unpark the thread
 * published in {@code waiter}; the caller publishes itself in {@code waiter} (a volatile write)
 * before it re-reads {@code inbox} and {@code failure} and parks, so either it sees the part or
 * the producer sees it waiting and unparks it (both sides use volatile accesses).
 *
 * <p>Invariants: {@code inbox} is {@code null}, one {@link Message} (the first part, the common
 * case, with no node), a {@link Node} chain (newest first), or {@link #ABANDONED}; only the caller
 * empties it or abandons it. Parts are handed out in arrival order; a failure is reported only
 * after every part that arrived before it; once abandoned, {@link #offer} refuses everything, so a
 * late part is never handed to anyone (the offering thread releases it). A wait of at least
 * {@link WaitTimer#MIN_NANOS} parks untimed, enlisted with {@link WaitTimer#SHARED}: a virtual
 * thread's {@code parkNanos} costs a JDK timer task per park. Nothing that may park (a lock) runs
 * between the caller's last check and its park: such a park would consume the producer's unpark,
 * and the caller would sleep until its deadline.
 */
public final class PendingCall extends CallMetrics.Trace {
    private static final Object ABANDONED = new Object();
    private static final VarHandle INBOX;
    private static final VarHandle FAILURE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            INBOX = l.findVarHandle(PendingCall.class, "inbox", Object.class);
            FAILURE = l.findVarHandle(PendingCall.class, "failure", Failure.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A later part pushed onto earlier ones: {@code rest} is a Message or an older Node. */
    private record Node(Message part, Object rest) {
    }

    private record Failure(Status status, String text) {
    }

    private final long id;
    private final boolean wantsSignals;
    private volatile Object inbox;            // see the class comment
    private volatile Failure failure;         // the first failure wins (CAS)
    private volatile Thread waiter;           // the caller while it may park, else null
    private ArrayDeque<Message> taken;        // caller only: parts taken from inbox, oldest first

    /**
     * @param id           the call's message id
     * @param wantsSignals whether SIGNALs with this id are queued for the caller (streaming calls)
     */
    public PendingCall(long id, boolean wantsSignals) {
        this.id = id;
        this.wantsSignals = wantsSignals;
    }

    /** The call's message id. */
    public long id() {
        return id;
    }

    /** Whether progress SIGNALs with this id go to the caller. */
    public boolean wantsSignals() {
        return wantsSignals;
    }

    /**
     * Hands a part (or progress SIGNAL) to the caller.
     *
     * @return false if the caller has gone (timed out or failed): the offering thread keeps the message
     */
    public boolean offer(Message m) {
        while (true) {
            Object cur = inbox;
            if (cur == ABANDONED) {
                return false;
            }
            Object next = cur == null ? m : new Node(m, cur);
            if (INBOX.compareAndSet(this, cur, next)) {
                break;
            }
        }
        wake();
        return true;
    }

    /** Fails the call (the first failure wins) and wakes the caller. Any thread. */
    public void fail(Status status, String text) {
        FAILURE.compareAndSet(this, (Failure) null, new Failure(status, text));
        wake();
    }

    private void wake() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /**
     * Caller thread: the next part, waiting until {@code deadlineNanos} ({@link System#nanoTime()}
     * scale).
     *
     * @return the part, owned by the caller; {@code null} if the deadline passed first
     * @throws TofuException the failure, once every part that arrived before it was handed out;
     * @throws TofuInterruptedException the caller was interrupted (the flag is kept)
     */
    public Message next(long deadlineNanos) {
        Thread me = Thread.currentThread();
        WaitTimer.Entry timed = null;
        try {
            while (true) {
                Message m = poll();
                if (m != null) {
                    return m;
                }
                Failure f = failure;
                if (f != null) {
                    m = poll(); // a part that arrived before the failure was read goes first
                    if (m != null) {
                        return m;
                    }
                    throw new TofuException(f.status(), f.text());
                }
                if (me.isInterrupted()) {
                    throw new TofuInterruptedException("interrupted while waiting for the response to message id "
                            + Long.toUnsignedString(id));
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                waiter = me; // volatile write, then re-read what the producers write before they read waiter
                if (left >= WaitTimer.MIN_NANOS && timed == null) {
                    // enlist before the re-check below, never between it and the park: enlisting may
                    // take a lock, whose own park would swallow an unpark that came meanwhile
                    timed = WaitTimer.SHARED.enlist(me, deadlineNanos);
                }
                if (inbox != null || failure != null) {
                    continue;
                }
                if (timed != null) {
                    LockSupport.park(this); // the producer, a failure or the timer at the deadline unparks us
                } else {
                    LockSupport.parkNanos(this, left);
                }
            }
        } finally {
            waiter = null;
            if (timed != null) {
                WaitTimer.SHARED.withdraw(timed);
            }
        }
    }

    /** Caller thread: the oldest part not handed out yet, or null. */
    private Message poll() {
        if (taken != null && !taken.isEmpty()) {
            return taken.poll();
        }
        if (inbox == null) {
            return null;
        }
        Object all = INBOX.getAndSet(this, (Object) null); // only the caller abandons: never ABANDONED here
        if (all instanceof Message m) {
            return m;
        }
        unstack(all);
        return taken.poll();
    }

    /** Moves a newest-first chain into {@code taken}, oldest first. */
    private void unstack(Object chain) {
        if (taken == null) {
            taken = new ArrayDeque<>(4);
        }
        Object o = chain;
        ArrayDeque<Message> newestFirst = new ArrayDeque<>(4);
        while (o instanceof Node n) {
            newestFirst.addLast(n.part());
            o = n.rest();
        }
        if (o instanceof Message oldest) {
            newestFirst.addLast(oldest);
        }
        while (!newestFirst.isEmpty()) {
            taken.addLast(newestFirst.pollLast());
        }
    }

    /**
     * Caller thread: gives up the call; later offers are refused.
     *
     * @return the parts that arrived but were not handed out (the caller releases them)
     */
    public List<Message> abandon() {
        Object all = INBOX.getAndSet(this, ABANDONED);
        if (all != null && all != ABANDONED) {
            if (all instanceof Message m) {
                if (taken == null) {
                    taken = new ArrayDeque<>(1);
                }
                taken.addLast(m);
            } else {
                unstack(all);
            }
        }
        if (taken == null || taken.isEmpty()) {
            return List.of();
        }
        List<Message> left = new ArrayList<>(taken);
        taken.clear();
        return left;
    }

    /** Whether {@code m} ends a response: a RESPONSE part without {@code more}. */
    public static boolean isLast(Message m) {
        return m.opCode() == OpCode.RESPONSE && !m.more();
    }

    /**
     * The {@link System#nanoTime()} value at which {@code timeout} from now ends. Timeouts are capped
     * at about 36 years so that {@code deadline - System.nanoTime()} never overflows.
     */
    public static long deadline(Duration timeout) {
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        nanos = Math.max(0, Math.min(nanos, Long.MAX_VALUE >> 2));
        return System.nanoTime() + nanos;
    }

    /** Remaining time to {@code deadlineNanos}, at least 0. */
    public static long remaining(long deadlineNanos) {
        return Math.max(0, deadlineNanos - System.nanoTime());
    }

    @Override
    public String toString() {
        return "PendingCall[id=" + Long.toUnsignedString(id) + "]";
    }
}
