package dev.tofu.internal.rpc;

import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.TofuInterruptedException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One call waiting for its response: a hand-off of response parts (and, for streaming calls,
 * progress SIGNALs) from the client's receiver thread to the one caller thread that waits.
 *
 * <p>Threads: {@link #offer} and {@link #fail} are called by the receiver thread (and {@link #fail}
 * also by threads closing the client); {@link #next}, {@link #abandon} by the caller thread only.
 * {@code lock} guards every mutable field. The caller parks on {@code changed} (a
 * {@link ReentrantLock} condition, never {@code synchronized}: virtual threads must not pin).
 *
 * <p>Invariants: parts are handed out in arrival order; a failure is reported only after every part
 * that arrived before it; once {@code abandoned}, {@link #offer} refuses everything, so a late part
 * is never handed to anyone (the receiver releases it).
 */
public final class PendingCall {
    private final long id;
    private final boolean wantsSignals;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Message> parts = new ArrayDeque<>(2); // guarded by lock
    private boolean abandoned;                                      // guarded by lock
    private Status failure;                                         // guarded by lock
    private String failureText;                                     // guarded by lock
    /** The call's metrics; set by the caller thread before the request is posted, used by it only. */
    CallMetrics.Trace trace;

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
     * Receiver thread: hands a part (or progress SIGNAL) to the caller.
     *
     * @return false if the caller has gone (timed out or failed): the receiver keeps the message
     */
    public boolean offer(Message m) {
        lock.lock();
        try {
            if (abandoned) {
                return false;
            }
            parts.add(m);
            changed.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Fails the call (the first failure wins) and wakes the caller. Any thread. */
    public void fail(Status status, String text) {
        lock.lock();
        try {
            if (failure == null) {
                failure = status;
                failureText = text;
            }
            changed.signal();
        } finally {
            lock.unlock();
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
        lock.lock();
        try {
            while (true) {
                Message m = parts.poll();
                if (m != null) {
                    return m;
                }
                if (failure != null) {
                    throw new TofuException(failure, failureText);
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TofuInterruptedException("interrupted while waiting for the response to message id "
                            + Long.toUnsignedString(id));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Caller thread: gives up the call; later offers are refused.
     *
     * @return the parts that arrived but were not handed out (the caller releases them)
     */
    public List<Message> abandon() {
        lock.lock();
        try {
            abandoned = true;
            if (parts.isEmpty()) {
                return List.of();
            }
            List<Message> left = new ArrayList<>(parts);
            parts.clear();
            return left;
        } finally {
            lock.unlock();
        }
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
