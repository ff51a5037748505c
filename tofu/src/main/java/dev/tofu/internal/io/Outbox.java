package dev.tofu.internal.io;

import dev.tofu.OpCode;
import dev.tofu.internal.concurrent.SpinLock;
import dev.tofu.internal.message.MessageStore;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A channel's outbound queue: posted messages waiting for the channel's writer, in post order.
 *
 * <p>Invariants: every message offered successfully is, exactly once, either taken by the writer
 * or returned by {@link #closeAndDrain()}; after {@code closeAndDrain} every offer fails, so no
 * message can be stranded behind a finished channel. Messages the writer took but could not write
 * come back to the front with {@link #pushBackFront}, keeping post order.
 *
 * <p>Threads: any thread offers (posting application threads); one writer thread takes; the
 * channel's finisher drains. {@code lock} guards every field; nothing inside it blocks (it is a
 * {@link SpinLock}: a poster and the writer meet on it constantly, and neither may park for it). Only the
 * writer thread ever waits: it notes itself in {@code waiter} and sets {@code writerWaiting} under
 * the lock, releases the lock and parks; whoever changes what it waits for reads
 * {@code writerWaiting} under the lock, clears it and unparks {@code waiter} after releasing it, so
 * a change made after the writer's last check either finds the flag set or was made before the
 * woken writer re-checks under the lock (no lost wake-up, and one unpark per park rather than per
 * offer; a stray unpark only makes a park return early, and every wait re-checks in a loop). Parking instead of a
 * {@code Condition} keeps the round trip free of allocation: {@code Condition.await} allocates a
 * node per wait.
 *
 * <p>Writing rights: {@code busy} is held by whoever writes to the socket now, the writer thread
 * (from {@link #takeBatch} to {@link #doneWriting}) or, with the {@link DirectWriter} strategy, a
 * posting thread that found the outbox idle ({@link #tryClaimDirect}, only while it is empty, so
 * post order holds). They live here, under the queue's lock, because granting them must be atomic
 * with seeing the queue empty. Once a bye-type frame was written no posting thread writes directly
 * any more.
 */
public final class Outbox {
    // Raw opcodes compared on every offer and take: static finals, so the JIT folds them.
    private static final int BYE_REQUEST = OpCode.BYE_REQUEST.code();
    private static final int BYE_RESPONSE = OpCode.BYE_RESPONSE.code();
    private static final int BYE_SIGNAL = OpCode.BYE_SIGNAL.code();

    private final SpinLock lock = new SpinLock(); // short sections, never parks (see SpinLock)
    private final ArrayDeque<MessageStore> queue = new ArrayDeque<>(); // guarded by lock
    private boolean closed;   // guarded by lock: no more offers (the finisher drained it)
    private boolean stopped;  // guarded by lock: the writer must stop (the channel is closing)
    private boolean writerWaiting; // guarded by lock: the writer is (about to be) parked
    private Thread waiter;         // guarded by lock: the writer thread, set when it first waits
    private boolean busy;          // guarded by lock: a thread is writing to the socket
    private boolean byeWritten;    // guarded by lock: a ByeRequest or ByeResponse went out

    /** Creates an empty, open outbox. */
    public Outbox() {
    }

    /** {@link #offer(MessageStore, int)}: the message was queued. */
    public static final int OFFERED = 0;
    /** {@link #offer(MessageStore, int)}: refused, the outbox no longer takes messages. */
    public static final int CLOSED = 1;
    /** {@link #offer(MessageStore, int)}: refused, {@code limit} messages already wait. */
    public static final int FULL = 2;

    /** Appends a message; false if the outbox no longer takes messages. */
    public boolean offer(MessageStore m) {
        return offer(m, Integer.MAX_VALUE) == OFFERED;
    }

    /**
     * Appends a message unless the outbox is closed or already holds {@code limit} messages
     * (bye-type messages are never refused for room, so a channel can always be closed).
     *
     * @return {@link #OFFERED}, {@link #CLOSED} or {@link #FULL}
     */
    public int offer(MessageStore m, int limit) {
        Thread wake;
        lock.lock();
        try {
            if (closed) {
                return CLOSED;
            }
            int op = m.opCodeRaw();
            if (queue.size() >= limit && (op < BYE_REQUEST || op > BYE_SIGNAL)) {
                return FULL;
            }
            queue.addLast(m);
            wake = takeWaiterLocked();
        } finally {
            lock.unlock();
        }
        wakeUp(wake);
        return OFFERED;
    }

    /**
     * Writer: waits up to {@code nanos} for messages, then moves up to {@code max} of them into
     * {@code batch}, stopping after the first bye-type frame (ByeRequest or ByeResponse) and before
     * a ByeSignal (which is never written).
     *
     * @return how many were moved; 0 when stopped, on timeout, or when the head is a ByeSignal
     */
    public int takeBatch(MessageStore[] batch, int max, long nanos) throws InterruptedException {
        lock.lock();
        try {
            if (!awaitLocked(nanos, false)) {
                return 0;
            }
            if (queue.peekFirst().opCodeRaw() != BYE_SIGNAL) {
                busy = true; // released by doneWriting
            }
            int n = 0;
            while (n < max && !queue.isEmpty()) {
                int op = queue.peekFirst().opCodeRaw();
                if (op == BYE_SIGNAL) {
                    break;
                }
                batch[n++] = queue.pollFirst();
                if (op == BYE_REQUEST || op == BYE_RESPONSE) {
                    break;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writer after its ByeRequest: waits up to {@code nanos} for a ByeResponse anywhere in the queue
     * and takes it out of order (the messages before it stay queued and are returned at close).
     *
     * @return the ByeResponse, or {@code null} when stopped or on timeout
     */
    public MessageStore takeByeResponse(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        lock.lock();
        try {
            while (!stopped) {
                for (var it = queue.iterator(); it.hasNext(); ) {
                    MessageStore m = it.next();
                    if (m.opCodeRaw() == BYE_RESPONSE) {
                        it.remove();
                        return m;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                parkLocked(left);
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A posting thread asks to write its message itself: granted only if nothing is queued, nobody
     * is writing, no bye-type frame was written and the outbox is open. The caller must call
     * {@link #doneWriting} after its write.
     */
    public boolean tryClaimDirect() {
        lock.lock();
        try {
            if (busy || byeWritten || stopped || closed || !queue.isEmpty()) {
                return false;
            }
            busy = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives up the writing rights taken by {@link #takeBatch} or {@link #tryClaimDirect}, noting
     * whether a bye-type frame was written; wakes the writer if messages queued meanwhile.
     */
    public void doneWriting(boolean wroteBye) {
        Thread wake;
        lock.lock();
        try {
            busy = false;
            byeWritten |= wroteBye;
            wake = queue.isEmpty() ? null : takeWaiterLocked();
        } finally {
            lock.unlock();
        }
        wakeUp(wake);
    }

    /** Waits up to {@code nanos} for {@link #stop()}; returns whether the outbox is stopped. */
    public boolean awaitStopped(long nanos) throws InterruptedException {
        lock.lock();
        try {
            return awaitLocked(nanos, true);
        } finally {
            lock.unlock();
        }
    }

    /** Returns the first message without removing it, or {@code null}. */
    public MessageStore peekFirst() {
        lock.lock();
        try {
            return queue.peekFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the first message, or {@code null}. */
    public MessageStore pollFirst() {
        lock.lock();
        try {
            return queue.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Puts {@code msgs[from, to)} back at the front, in order (messages the writer could not write). */
    public void pushBackFront(MessageStore[] msgs, int from, int to) {
        lock.lock();
        try {
            for (int i = to - 1; i >= from; i--) {
                queue.addFirst(msgs[i]);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Tells the writer to stop; offers are still taken until {@link #closeAndDrain()}. */
    public void stop() {
        Thread wake;
        lock.lock();
        try {
            stopped = true;
            wake = takeWaiterLocked();
        } finally {
            lock.unlock();
        }
        wakeUp(wake);
    }

    /** Refuses every later offer and returns what is queued, in order. Idempotent. */
    public List<MessageStore> closeAndDrain() {
        Thread wake;
        List<MessageStore> rest;
        lock.lock();
        try {
            closed = true;
            stopped = true;
            wake = takeWaiterLocked();
            rest = new ArrayList<>(queue);
            queue.clear();
        } finally {
            lock.unlock();
        }
        wakeUp(wake);
        return rest;
    }

    /** Returns how many messages are queued. */
    public int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Waits for messages (or, with {@code forStop}, only for stop); true if there is something to do. */
    private boolean awaitLocked(long nanos, boolean forStop) throws InterruptedException {
        boolean forever = nanos == Long.MAX_VALUE;
        long deadline = forever ? 0L : System.nanoTime() + nanos;
        while (!stopped && (forStop || queue.isEmpty() || busy)) {
            long left = forever ? Long.MAX_VALUE : deadline - System.nanoTime();
            if (left <= 0) {
                return forStop ? stopped : false;
            }
            parkLocked(left);
        }
        return forStop ? stopped : !stopped;
    }

    /**
     * Writer, holding the lock once: releases it, parks up to {@code nanos} ({@link Long#MAX_VALUE}:
     * until unparked) and takes it again. The caller re-checks its condition: a park may also end
     * early. Throws, with the lock held, if the writer is or gets interrupted (as
     * {@code Condition.await} did).
     */
    private void parkLocked(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        waiter = Thread.currentThread();
        writerWaiting = true; // before the unlock: a change made after it sees the flag and unparks us
        lock.unlock();
        try {
            if (nanos == Long.MAX_VALUE) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, nanos);
            }
        } finally {
            lock.lock();
            writerWaiting = false;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /**
     * Holding the lock, after a change the writer may wait for: the writer to unpark once the lock
     * is released, or null if it is not waiting. Clears {@code writerWaiting}, so the offers that
     * follow before the writer runs again do not unpark it once each; the woken writer re-checks
     * under the lock and sets the flag again before it parks again.
     */
    private Thread takeWaiterLocked() {
        if (!writerWaiting) {
            return null;
        }
        writerWaiting = false;
        return waiter;
    }

    /** Unparks the writer noted under the lock, after the lock was released (no-op for null). */
    private static void wakeUp(Thread writer) {
        if (writer != null) {
            LockSupport.unpark(writer);
        }
    }
}
