package dev.tofu.internal.engine;

import dev.tofu.internal.concurrent.WaitTimer;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.TofuInterruptedException;

import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The receive queue of one channel group (PROTOCOL.md §6.3, §6.5, §6.7): many producers, one
 * blocking consumer at a time, FIFO across frames and notices.
 *
 * <p>Who calls what: channel reader virtual threads call {@link #putFrame} (it parks while
 * {@code frameCapacity} frames are queued, so the reader stops reading and TCP flow control
 * throttles the peer); engine code and application threads ({@code updateReceiver}) call
 * {@link #putNotice}, which never waits and is never refused for room, so a notice is never lost
 * and cannot deadlock, even when the consumer itself posts it; the application thread in
 * {@code waitReceive} calls {@link #take}; whoever destroys the group calls {@link #close}.
 *
 * <p>Invariants: every message added is handed out exactly once, either by {@link #take} or in the
 * list {@link #close} returns, and a put that returns false added nothing; after {@code close}
 * returns, nothing is added any more and the queue is empty. At most one thread is inside
 * {@code take}. {@code queuedFrames <= frameCapacity}: a producer holds one {@code framePermits}
 * permit per queued frame (after close the permits no longer mean anything).
 *
 * <p>Guards: {@code queue} is JCTools' lock-free MPSC queue in its {@code Atomic} form (no
 * {@code sun.misc.Unsafe}, so the library prints no warning on JDK 24+); only the thread holding
 * {@code consumer} polls it, and {@code close} takes that slot over before it drains. {@code state} packs the
 * closed bit and the number of producers inside their add section; producers enter and leave it
 * with atomic increments, and {@code close} parks until it reads "closed, none inside" before
 * draining, which is what makes close-versus-put race-free. {@code consumer} is CAS-claimed by
 * {@code take}; {@code waiter} is set by the consumer before each check that may end in a park,
 * and cleared by the consumer or by the one producer whose CAS takes it (that producer unparks it,
 * so a burst of frames costs one unpark, not one each); {@code closer} is CAS-claimed once.
 * The tag of a queued message (1 = frame, 0 = notice) is owned by the queue while it holds the
 * message. No locks, no {@code synchronized}: only parking (and, for a platform consumer with
 * {@code spinNanos} set, a bounded spin before the first park). A timed wait of at least
 * {@link WaitTimer#MIN_NANOS} parks untimed, enlisted with {@link WaitTimer#SHARED}, which unparks
 * it once its deadline has passed (shorter waits use {@code parkNanos}); either way the consumer
 * re-checks its own clock after every wake, so it never returns before its deadline. Nothing that
 * may park runs between the consumer's last check and its park (it enlists, then checks again):
 * a park inside a lock would consume the producer's unpark, and the consumer would sleep until its
 * deadline with a message queued.
 */
public final class GroupQueue {
    private static final int FRAME = 1;
    private static final int NOTICE = 0;
    private static final int CLOSED = Integer.MIN_VALUE;   // sign bit of state
    private static final int CHUNK = 128;

    private final int frameCapacity;
    private final long spinNanos;                                       // platform consumers only
    private final MpscUnboundedAtomicArrayQueue<MessageStore> queue = new MpscUnboundedAtomicArrayQueue<>(CHUNK);
    private final Semaphore framePermits;                               // one permit per free frame slot
    private final AtomicInteger frames = new AtomicInteger();           // frames queued now
    private final AtomicInteger state = new AtomicInteger();            // CLOSED bit | producers inside
    private final AtomicReference<Thread> consumer = new AtomicReference<>(); // thread inside take
    private final AtomicReference<Thread> closer = new AtomicReference<>();   // thread that closed
    private final AtomicReference<Thread> waiter = new AtomicReference<>(); // consumer, while it may park

    /**
     * Creates an open, empty queue.
     *
     * @param frameCapacity how many frames may be queued before {@link #putFrame} waits, at least 1
     */
    public GroupQueue(int frameCapacity) {
        this(frameCapacity, 0);
    }

    /**
     * Creates an open, empty queue whose platform-thread consumer spins for up to
     * {@code spinNanos} before it parks in a blocking {@link #take} (Options.receiveSpin).
     *
     * @param frameCapacity how many frames may be queued before {@link #putFrame} waits, at least 1
     * @param spinNanos     how long a platform consumer spins before parking; 0 for never
     */
    public GroupQueue(int frameCapacity, long spinNanos) {
        if (frameCapacity < 1) {
            throw new IllegalArgumentException("frameCapacity must be >= 1, got " + frameCapacity);
        }
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spinNanos must be >= 0, got " + spinNanos);
        }
        this.frameCapacity = frameCapacity;
        this.spinNanos = spinNanos;
        this.framePermits = new Semaphore(frameCapacity);
    }

    /**
     * Adds a frame read from a socket, parking while {@code frameCapacity} frames are queued.
     * Called by channel reader threads, never by the consumer (it would wait for itself).
     *
     * @return true if added; false if the queue is closed (before or while waiting), in which case
     *         the caller still owns {@code m}
     * @throws InterruptedException if interrupted while waiting for room (nothing added)
     */
    public boolean putFrame(MessageStore m) throws InterruptedException {
        Objects.requireNonNull(m, "m");
        if (isClosed()) {
            return false;
        }
        framePermits.acquire(); // parks; released by take, or by close (see passOnAfterClose)
        return addFrameWithPermit(m);
    }

    /**
     * Adds a frame if there is room now, without waiting.
     *
     * @return true if added; false if the queue is full or closed (the caller still owns {@code m})
     */
    public boolean tryPutFrame(MessageStore m) {
        Objects.requireNonNull(m, "m");
        if (isClosed() || !framePermits.tryAcquire()) {
            return false;
        }
        return addFrameWithPermit(m);
    }

    /**
     * Adds the frames {@code ms[0, n)}, in order, if there is room for all of them now, without
     * waiting: one reader's frames from one socket read, with one wake-up of the consumer.
     *
     * @return true if all were added; false if there is not room for all of them or the queue is
     *         closed, in which case none was added and the caller still owns them
     */
    public boolean tryPutFrames(MessageStore[] ms, int n) {
        if (n <= 0 || isClosed() || !framePermits.tryAcquire(n)) {
            return false;
        }
        if (!enter()) {
            framePermits.release(n); // pass the permits on, as addFrameWithPermit does
            return false;
        }
        try {
            for (int i = 0; i < n; i++) {
                Objects.requireNonNull(ms[i], "ms[i]").setTag(FRAME);
            }
            frames.addAndGet(n);
            for (int i = 0; i < n; i++) {
                queue.offer(ms[i]);
            }
        } finally {
            exit(); // volatile RMW after the offers: a consumer that reads state afterwards sees them
        }
        wakeConsumer();
        return true;
    }

    /** Adds a frame for which the caller holds a frame permit; false (permit passed on) if closed. */
    private boolean addFrameWithPermit(MessageStore m) {
        if (!enter()) {
            framePermits.release(); // pass the permit on: close wakes waiting producers in a chain
            return false;
        }
        try {
            m.setTag(FRAME);
            frames.incrementAndGet();
            queue.offer(m);
        } finally {
            exit(); // volatile RMW after the offer: a consumer that reads state afterwards sees m
        }
        wakeConsumer();
        return true;
    }

    /**
     * Adds an engine notice or an {@code updateReceiver} message. Never waits, never refused for
     * room; may be called from any thread, the consumer's included.
     *
     * @return true if added; false if the queue is closed, in which case the caller still owns
     *         {@code m}
     */
    public boolean putNotice(MessageStore m) {
        Objects.requireNonNull(m, "m");
        if (!enter()) {
            return false;
        }
        try {
            m.setTag(NOTICE);
            queue.offer(m);
        } finally {
            exit(); // volatile RMW after the offer: a consumer that reads state afterwards sees m
        }
        wakeConsumer();
        return true;
    }

    /**
     * Takes the next message in arrival order (the single consumer: {@code waitReceive}).
     *
     * <p>A waiting take ({@code timeoutNanos > 0}) on a thread that is interrupted, before the call
     * or while it waits, throws {@link TofuInterruptedException} at once, even if messages are
     * queued, and leaves the interrupt status set; nothing is taken, so every queued message (and
     * every later one) stays for the next take. A poll ({@code timeoutNanos <= 0}) never waits and
     * ignores the interrupt status.
     *
     * @param timeoutNanos 0 polls, {@link Long#MAX_VALUE} waits forever, otherwise the most to wait
     * @return the message, now owned by the caller, or {@code null} on timeout
     * @throws TofuException {@link Status#SHUTDOWN_STARTED} once the queue is closed (also wakes a
     *         waiting consumer); {@link Status#NOT_ALLOWED} if another thread is inside take;
     *         {@link TofuInterruptedException} if the thread is interrupted (see above)
     */
    public MessageStore take(long timeoutNanos) {
        Thread me = Thread.currentThread();
        if (!consumer.compareAndSet(null, me)) {
            checkOpen(); // after close the closer holds the slot for good: report the shutdown
            throw new TofuException(Status.NOT_ALLOWED, "another thread is already waiting on this group");
        }
        try {
            // consumer CAS before the state read; close writes state before reading consumer (Dekker)
            checkOpen();
            if (timeoutNanos > 0 && me.isInterrupted()) {
                throw interrupted(); // before the poll: an interrupted consumer stops, even under load
            }
            MessageStore m = queue.poll();
            if (m != null) {
                return handOut(m);
            }
            if (timeoutNanos <= 0) {
                return null;
            }
            return awaitMessage(me, timeoutNanos);
        } finally {
            consumer.set(null);
        }
    }

    /**
     * Closes the queue: later puts return false, later takes throw {@link Status#SHUTDOWN_STARTED},
     * a waiting consumer and every producer waiting in {@link #putFrame} wake. Waits (parks) until
     * every producer already inside its add section has left it and the consumer has left
     * {@link #take}, which is never long: neither blocks there once the queue is closed.
     *
     * @return every message still queued (the caller returns them to the pool); empty on a second
     *         call
     */
    public List<MessageStore> close() {
        Thread me = Thread.currentThread();
        if (!closer.compareAndSet(null, me)) {
            return List.of();
        }
        // closer written before the CLOSED bit: a producer whose exit sees CLOSED also sees closer
        state.getAndUpdate(s -> s | CLOSED);
        framePermits.release(); // every producer that acquires after close passes its permit on
        Thread c = consumer.get(); // read after the CLOSED write: a consumer we miss reads CLOSED itself
        if (c != null) {
            LockSupport.unpark(c);
        }
        boolean interrupted = false;
        while (state.get() != CLOSED) { // producers still inside; the last one out unparks us
            LockSupport.park(this);
            interrupted |= Thread.interrupted(); // do not let a pending interrupt turn park into a spin
        }
        if (interrupted) {
            me.interrupt();
        }
        // No producer can add any more. Take the single consumer's place (and keep it) so only one
        // thread ever polls: a consumer inside take re-checks CLOSED before each poll and leaves.
        while (!consumer.compareAndSet(null, me)) {
            LockSupport.unpark(consumer.get());
            LockSupport.parkNanos(this, 10_000L);
        }
        List<MessageStore> left = new ArrayList<>();
        MessageStore m;
        while ((m = queue.poll()) != null) {
            if (m.tag() == FRAME) {
                m.setTag(NOTICE);
                frames.decrementAndGet();
            }
            left.add(m);
        }
        return left;
    }

    /** Returns whether {@link #close} has been called. */
    public boolean isClosed() {
        return state.get() < 0;
    }

    /** Returns how many messages (frames and notices) are queued; a snapshot. */
    public int size() {
        return queue.size();
    }

    /** Returns how many frames are queued; a snapshot, at most {@code frameCapacity}. */
    public int queuedFrames() {
        return frames.get();
    }

    /** Returns how many frames may be queued before {@link #putFrame} waits. */
    public int frameCapacity() {
        return frameCapacity;
    }

    private MessageStore awaitMessage(Thread me, long timeoutNanos) {
        boolean forever = timeoutNanos == Long.MAX_VALUE;
        long deadline = forever ? 0L : System.nanoTime() + timeoutNanos;
        // long waits park untimed and let the shared timer wake them at the deadline: a virtual
        // thread's parkNanos costs a JDK timer task (and a timer-thread wake-up) per park
        boolean shared = !forever && timeoutNanos >= WaitTimer.MIN_NANOS;
        WaitTimer.Entry timed = null;
        boolean spun = false;
        try {
            for (;;) {
                waiter.set(me); // volatile write before the state read and poll below; producers: offer, state RMW, read waiter
                checkOpen();
                MessageStore m = queue.poll();
                if (m != null) {
                    return handOut(m);
                }
                if (me.isInterrupted()) {
                    throw interrupted(); // the flag stays set; nothing was taken
                }
                if (!spun) {
                    spun = true;
                    if (spinNanos > 0 && !me.isVirtual() && spinFor(Math.min(spinNanos, timeoutNanos))) {
                        continue; // something arrived (or the queue closed): the loop takes it
                    }
                }
                if (forever) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    if (shared) {
                        if (timed == null) {
                            timed = WaitTimer.SHARED.enlist(me, deadline); // once per wait
                            // check again before parking: enlisting may take a lock, and that lock's
                            // own park swallows a producer's unpark that came meanwhile
                            continue;
                        }
                        LockSupport.park(this); // the timer unparks us once the deadline has passed
                    } else {
                        LockSupport.parkNanos(this, left);
                    }
                }
            }
        } finally {
            waiter.set(null);
            if (timed != null) {
                WaitTimer.SHARED.withdraw(timed);
            }
        }
    }

    /**
     * Spins (a platform consumer, before its first park) until a message is queued, the queue
     * closes or {@code nanos} pass; returns whether there is something to look at.
     */
    private boolean spinFor(long nanos) {
        long end = System.nanoTime() + nanos;
        while (queue.isEmpty() && state.get() >= 0) {
            if (System.nanoTime() - end >= 0) {
                return false;
            }
            Thread.onSpinWait();
            Thread.yield(); // on 2 cores the producer may need this core
        }
        return true;
    }

    private MessageStore handOut(MessageStore m) {
        if (m.tag() == FRAME) {
            m.setTag(NOTICE);
            frames.decrementAndGet(); // before the permit goes back, so frames never exceeds capacity
            framePermits.release();   // wakes one producer parked in putFrame
        }
        return m;
    }

    private static TofuInterruptedException interrupted() {
        return new TofuInterruptedException("waitReceive interrupted");
    }

    private void checkOpen() {
        if (state.get() < 0) { // volatile read: orders after waiter/consumer writes (see callers)
            throw new TofuException(Status.SHUTDOWN_STARTED, "the channel group is closed");
        }
    }

    /** Enters the add section; false (and not inside) if closed. */
    private boolean enter() {
        if (state.getAndIncrement() < 0) {
            exit();
            return false;
        }
        return true;
    }

    /** Leaves the add section; the last producer out of a closed queue wakes the closer. */
    private void exit() {
        if (state.decrementAndGet() == CLOSED) {
            LockSupport.unpark(closer.get()); // closer was set before CLOSED, so it is not null
        }
    }

    private void wakeConsumer() {
        Thread w = waiter.get(); // volatile read after exit()'s RMW: either we see w or w sees our message
        if (w != null && waiter.compareAndSet(w, null)) { // one producer wakes it; it re-arms before parking again
            LockSupport.unpark(w);
        }
    }
}
