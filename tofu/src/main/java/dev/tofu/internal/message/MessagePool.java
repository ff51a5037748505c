package dev.tofu.internal.message;

import dev.tofu.AllocationStrategy;
import dev.tofu.Message;
import dev.tofu.Status;
import dev.tofu.TofuException;

import dev.tofu.internal.concurrent.SpinLock;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shared message pool of one engine (PROTOCOL.md §6.2).
 *
 * <p>Invariants: at most {@code maxIdle} idle messages; every idle message is owned by
 * {@link Owner#POOL}, is fully cleared, and sits in {@code idle} exactly once; a message leaves the
 * pool only through a successful pop, so no message is ever handed to two holders. Order is LIFO.
 * {@code retainedBytes} is the buffer capacity the idle messages hold and stays within
 * {@link #RETAINED_BYTES_BUDGET} plus {@link #KEEP_ALWAYS_BYTES} per idle message.
 *
 * <p>Threads: every method may be called from any thread. {@code lock}, a {@link SpinLock} (the
 * critical sections are a few pushes or pops, and a virtual thread parked on a contended
 * {@code ReentrantLock} costs far more than they do), guards {@code idle}, {@code closed} and
 * {@code retainedBytes}; nothing inside it blocks. A reader waiting for a message in
 * {@link #awaitForEngine} waits on {@code refilled} under the separate {@code waitLock}, after
 * counting itself in {@code waiting} and checking the stack once more; whoever pushes reads
 * {@code waiting} after its unlock (a volatile write, then a volatile read: no lost wake-up) and
 * only then takes {@code waitLock} to signal. No {@code synchronized} (virtual threads must not
 * pin), no per-thread caches.
 */
public final class MessagePool {
    private static final MessageAccess ACCESS = MessageAccess.get();

    private final int maxIdle;
    /**
     * Most buffer bytes the idle messages keep: a message put back while the idle ones already hold
     * this much loses its buffers over {@link #KEEP_ALWAYS_BYTES} (it stays pooled), so a pool that
     * once carried many 64 KiB bodies does not hold on to gigabytes.
     */
    public static final long RETAINED_BYTES_BUDGET = 32L << 20;
    /** Buffers up to this size are always kept. */
    public static final int KEEP_ALWAYS_BYTES = 4096;

    private final SpinLock lock = new SpinLock();
    private final ArrayDeque<Message> idle;   // guarded by lock; head = most recently put
    private volatile boolean closed;          // written under lock
    private long retainedBytes;               // guarded by lock: buffer capacity of the idle messages
    private final ReentrantLock waitLock = new ReentrantLock();
    private final Condition refilled = waitLock.newCondition();
    private final AtomicInteger waiting = new AtomicInteger(); // threads in awaitForEngine
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong adopted = new AtomicLong();

    /**
     * Creates a pool holding {@code initial} fresh messages, keeping at most {@code maxIdle} idle.
     */
    public MessagePool(int initial, int maxIdle) {
        if (initial < 0 || maxIdle < initial) {
            throw new IllegalArgumentException("need 0 <= initial <= maxIdle, got " + initial + "/" + maxIdle);
        }
        this.maxIdle = maxIdle;
        this.idle = new ArrayDeque<>(Math.max(16, maxIdle));
        for (int i = 0; i < initial; i++) {
            Message m = newMessage();
            ACCESS.setOwner(m, Owner.POOL);
            idle.push(m);
        }
    }

    /**
     * Hands a message to the application (API {@code Ampe.get}).
     *
     * @return a cleared message owned by the application; {@code null} only for
     *         {@link AllocationStrategy#POOL_ONLY} when no message is idle
     * @throws TofuException {@link Status#SHUTDOWN_STARTED} after {@link #close()}
     */
    public Message get(AllocationStrategy strategy) {
        Message m = take(Owner.APPLICATION);
        if (m == null && strategy == AllocationStrategy.ALWAYS) {
            m = newMessage();
        }
        return m;
    }

    /**
     * Takes an idle message for the engine's own use (reading a frame), never creating one.
     *
     * @return a cleared message owned by the engine, or {@code null} if none is idle or the pool is
     *         closed
     */
    public Message tryTakeForEngine() {
        lock.lock();
        try {
            if (closed) {
                return null;
            }
            return popLocked(Owner.ENGINE);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes up to {@code max} idle messages for the engine under one lock acquisition (a reader
     * about to read that many buffered frames), never creating one.
     *
     * @return how many messages were put in {@code dst[0, n)}, owned by the engine; 0 if none is
     *         idle or the pool is closed
     */
    public int tryTakeForEngine(Message[] dst, int max) {
        lock.lock();
        try {
            if (closed) {
                return 0;
            }
            int n = 0;
            Message m;
            while (n < max && (m = popLocked(Owner.ENGINE)) != null) {
                dst[n++] = m;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code nanos} for an idle message for the engine; returns {@code null} on timeout,
     * when the pool closes, or when {@link #wakeWaiters()} is called (the caller re-checks why).
     */
    public Message awaitForEngine(long nanos) throws InterruptedException {
        Message m = tryTakeForEngine();
        if (m != null || nanos <= 0 || closed) {
            return m;
        }
        waitLock.lock();
        try {
            waiting.incrementAndGet(); // before the second look: a push after it sees us waiting
            try {
                m = tryTakeForEngine();
                if (m != null || closed) {
                    return m;
                }
                refilled.awaitNanos(nanos); // a pusher's signal needs waitLock, held until this releases it
            } finally {
                waiting.decrementAndGet();
            }
        } finally {
            waitLock.unlock();
        }
        return tryTakeForEngine();
    }

    /** Wakes every thread in {@link #awaitForEngine} (used when a channel closes). */
    public void wakeWaiters() {
        waitLock.lock();
        try {
            refilled.signalAll();
        } finally {
            waitLock.unlock();
        }
    }

    /** After a push (or close), once {@code lock} is released: wakes waiting readers, if any. */
    private void signalRefilled() {
        if (waiting.get() > 0) { // volatile read after the unlock's volatile write
            wakeWaiters();
        }
    }

    /**
     * Takes a message from the application into the pool (API {@code Ampe.put}). Does nothing for
     * {@code null} or a message the application does not own (posted, or already in a pool). Drops
     * the message for the garbage collector when the pool is full or closed.
     */
    public void put(Message m) {
        if (m == null || !ACCESS.casOwner(m, Owner.APPLICATION, Owner.POOL)) {
            return;
        }
        keep(m);
    }

    /** Returns a message the engine owns (written, or discarded) to the pool. */
    public void recycle(Message m) {
        if (m == null || !ACCESS.casOwner(m, Owner.ENGINE, Owner.POOL)) {
            return;
        }
        keep(m);
    }

    /** Closes the pool: later {@code get} fails, later {@code put} drops, idle messages are released. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            idle.clear();
            retainedBytes = 0;
        } finally {
            lock.unlock();
        }
        wakeWaiters();
    }

    /** Returns the number of idle messages. */
    public int idleCount() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    /** Returns the most idle messages the pool keeps. */
    public int maxIdle() {
        return maxIdle;
    }

    /** Returns how many messages this pool has created since it was made. */
    public long createdCount() {
        return created.get();
    }

    /**
     * Creates a fresh message belonging to this pool (not taken from the idle ones), owned by
     * {@code owner}: the engine's notices, so internal traffic never consumes pooled messages.
     */
    public Message create(int owner) {
        Message m = newMessage();
        ACCESS.setOwner(m, owner);
        return m;
    }

    /**
     * Returns how many messages of this pool are out: created or adopted, minus idle, minus dropped.
     * At rest (no channel open, every queue empty, the application holding nothing) it is 0.
     */
    public long outstanding() {
        return created.get() + adopted.get() - idleCount() - dropped.get();
    }

    /** Returns how many messages were dropped because the pool was full or closed. */
    public long droppedCount() {
        return dropped.get();
    }

    /** Returns whether the pool is closed. */
    public boolean isClosed() {
        return closed;
    }

    private Message take(int newOwner) {
        lock.lock();
        try {
            if (closed) {
                throw new TofuException(Status.SHUTDOWN_STARTED, "the reactor is closed");
            }
            return popLocked(newOwner);
        } finally {
            lock.unlock();
        }
    }

    private Message popLocked(int newOwner) {
        Message m = idle.poll();
        if (m != null) {
            retainedBytes -= capacity(m); // unchanged while idle
            ACCESS.setOwner(m, newOwner);
        }
        return m;
    }

    private static long capacity(Message m) {
        return (long) ACCESS.headers(m).capacity() + ACCESS.body(m).capacity();
    }

    private void keep(Message m) {
        prepareToKeep(m);
        boolean kept;
        lock.lock();
        try {
            kept = keepLocked(m);
        } finally {
            lock.unlock();
        }
        if (kept) {
            signalRefilled();
        } else {
            dropped.incrementAndGet();
        }
    }

    /**
     * Returns {@code n} written messages the engine owns ({@code batch[0..n)}) to the pool under one
     * lock acquisition (the writer's batch: one acquisition instead of {@code n} on the lock every
     * poster and reader also takes), and clears the array slots.
     */
    public void recycleAll(Message[] batch, int n) {
        int kept = 0;
        for (int i = 0; i < n; i++) {
            Message m = batch[i];
            batch[i] = null;
            if (m != null && ACCESS.casOwner(m, Owner.ENGINE, Owner.POOL)) {
                prepareToKeep(m);
                batch[kept++] = m;
            }
        }
        int dropping = 0;
        lock.lock();
        try {
            for (int i = 0; i < kept; i++) {
                if (!keepLocked(batch[i])) {
                    dropping++;
                }
                batch[i] = null;
            }
        } finally {
            lock.unlock();
        }
        if (dropping < kept) {
            signalRefilled();
        }
        if (dropping > 0) {
            dropped.addAndGet(dropping);
        }
    }

    /** Outside the lock: clears a message that now belongs to the pool and adopts it if foreign. */
    private void prepareToKeep(Message m) {
        ACCESS.clear(m);
        if (ACCESS.home(m) != this) {
            adopted.incrementAndGet(); // a message from elsewhere joins this pool
            ACCESS.setHome(m, this);
        }
    }

    /** Holding the lock: pushes {@code m} if there is room; false if it must be dropped. */
    private boolean keepLocked(Message m) {
        if (closed || idle.size() >= maxIdle) {
            return false;
        }
        long cap = capacity(m);
        if (cap > KEEP_ALWAYS_BYTES && retainedBytes + cap > RETAINED_BYTES_BUDGET) {
            ACCESS.headers(m).release(); // over the budget: keep the message, not its big buffers
            ACCESS.body(m).release();
            cap = 0;
        }
        retainedBytes += cap;
        idle.push(m);
        return true;
    }

    private Message newMessage() {
        Message m = new Message();
        ACCESS.setHome(m, this);
        created.incrementAndGet();
        return m;
    }
}
