package dev.tofu.internal.engine;

import dev.tofu.Message;
import dev.tofu.internal.message.MessageAccess;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A channel's outbound queue: posted messages waiting for the channel's writer, in post order.
 *
 * <p>Invariants: every message offered successfully is, exactly once, either taken by the writer
 * or returned by {@link #closeAndDrain()}; after {@code closeAndDrain} every offer fails, so no
 * message can be stranded behind a finished channel. Messages the writer took but could not write
 * come back to the front with {@link #pushBackFront}, keeping post order.
 *
 * <p>Threads: any thread offers (posting application threads); one writer thread takes; the
 * channel's finisher drains. {@code lock} guards every field; nothing inside it blocks except the
 * writer's condition waits, which release it.
 *
 * <p>Writing rights: {@code busy} is held by whoever writes to the socket now, the writer thread
 * (from {@link #takeBatch} to {@link #doneWriting}) or a posting thread that found the outbox idle
 * ({@link #tryClaimDirect}, only while it is empty, so post order holds). Once a bye-type frame
 * was written no posting thread writes directly any more.
 */
public final class Outbox {
    private static final MessageAccess ACCESS = MessageAccess.get();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Message> queue = new ArrayDeque<>(); // guarded by lock
    private boolean closed;   // guarded by lock: no more offers (the finisher drained it)
    private boolean stopped;  // guarded by lock: the writer must stop (the channel is closing)
    private boolean writerWaiting; // guarded by lock
    private boolean busy;          // guarded by lock: a thread is writing to the socket
    private boolean byeWritten;    // guarded by lock: a ByeRequest or ByeResponse went out

    /** Creates an empty, open outbox. */
    public Outbox() {
    }

    /** {@link #offer(Message, int)}: the message was queued. */
    public static final int OFFERED = 0;
    /** {@link #offer(Message, int)}: refused, the outbox no longer takes messages. */
    public static final int CLOSED = 1;
    /** {@link #offer(Message, int)}: refused, {@code limit} messages already wait. */
    public static final int FULL = 2;

    /** Appends a message; false if the outbox no longer takes messages. */
    public boolean offer(Message m) {
        return offer(m, Integer.MAX_VALUE) == OFFERED;
    }

    /**
     * Appends a message unless the outbox is closed or already holds {@code limit} messages
     * (bye-type messages are never refused for room, so a channel can always be closed).
     *
     * @return {@link #OFFERED}, {@link #CLOSED} or {@link #FULL}
     */
    public int offer(Message m, int limit) {
        lock.lock();
        try {
            if (closed) {
                return CLOSED;
            }
            int op = ACCESS.opCodeRaw(m);
            if (queue.size() >= limit && (op < Opcodes.BYE_REQUEST || op > Opcodes.BYE_SIGNAL)) {
                return FULL;
            }
            queue.addLast(m);
            if (writerWaiting) {
                changed.signal();
            }
            return OFFERED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writer: waits up to {@code nanos} for messages, then moves up to {@code max} of them into
     * {@code batch}, stopping after the first bye-type frame (ByeRequest or ByeResponse) and before
     * a ByeSignal (which is never written).
     *
     * @return how many were moved; 0 when stopped, on timeout, or when the head is a ByeSignal
     */
    public int takeBatch(Message[] batch, int max, long nanos) throws InterruptedException {
        lock.lock();
        try {
            if (!awaitLocked(nanos, false)) {
                return 0;
            }
            if (ACCESS.opCodeRaw(queue.peekFirst()) != Opcodes.BYE_SIGNAL) {
                busy = true; // released by doneWriting
            }
            int n = 0;
            while (n < max && !queue.isEmpty()) {
                int op = ACCESS.opCodeRaw(queue.peekFirst());
                if (op == Opcodes.BYE_SIGNAL) {
                    break;
                }
                batch[n++] = queue.pollFirst();
                if (op == Opcodes.BYE_REQUEST || op == Opcodes.BYE_RESPONSE) {
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
    public Message takeByeResponse(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        lock.lock();
        try {
            while (!stopped) {
                for (var it = queue.iterator(); it.hasNext(); ) {
                    Message m = it.next();
                    if (ACCESS.opCodeRaw(m) == Opcodes.BYE_RESPONSE) {
                        it.remove();
                        return m;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                writerWaiting = true;
                try {
                    changed.awaitNanos(left);
                } finally {
                    writerWaiting = false;
                }
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
        lock.lock();
        try {
            busy = false;
            byeWritten |= wroteBye;
            if (writerWaiting && !queue.isEmpty()) {
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
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
    public Message peekFirst() {
        lock.lock();
        try {
            return queue.peekFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the first message, or {@code null}. */
    public Message pollFirst() {
        lock.lock();
        try {
            return queue.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Puts {@code msgs[from, to)} back at the front, in order (messages the writer could not write). */
    public void pushBackFront(Message[] msgs, int from, int to) {
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
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Refuses every later offer and returns what is queued, in order. Idempotent. */
    public List<Message> closeAndDrain() {
        lock.lock();
        try {
            closed = true;
            stopped = true;
            changed.signalAll();
            List<Message> rest = new ArrayList<>(queue);
            queue.clear();
            return rest;
        } finally {
            lock.unlock();
        }
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
        long left = nanos;
        while (!stopped && (forStop || queue.isEmpty() || busy)) {
            if (left <= 0) {
                return forStop ? stopped : false;
            }
            writerWaiting = true;
            try {
                if (nanos == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    left = changed.awaitNanos(left);
                }
            } finally {
                writerWaiting = false;
            }
        }
        return forStop ? stopped : !stopped;
    }
}
