package dev.tofu.internal.message;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.Status;
import dev.tofu.TofuException;

import dev.tofu.internal.concurrent.SpinLock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shared message pool of one engine (PROTOCOL.md §6.2). It holds {@link MessageStore}s, the
 * storage behind messages; the application sees them only through per-lease {@code Message}
 * handles, made by {@link MessageAccess#lease} when a store leaves the pool for the application.
 *
 * <p>Layout: the idle messages sit in {@code stripes}, a power-of-two number of LIFO stacks, each
 * with its own lock and its own share ({@code cap}) of {@code maxIdle}. A caller works on its
 * <em>home</em> stripe: the application's calls on the stripe of its thread, a channel's reader
 * and writer on the stripe of the channel. Only when the home stripe is empty (a take) or full (a
 * keep) does the caller look at the others, in order. Why: every thread of an engine takes and
 * keeps messages, up to several times per message it sends or receives; with one lock, threads on
 * different cores met on it for a large share of the messages of a pipelined load
 * (docs/PERFORMANCE.md, "A striped message pool"), and each meeting costs a spin and the cache
 * lines of the lock and the stack. With homes, the flows balance per stripe: an
 * application thread puts the reply it took and gets the next request from the same stripe, a
 * channel's reader takes what its writer kept. A pool of fewer than {@link #MIN_PER_STRIPE} times
 * two messages has one stripe, which is the plain LIFO stack.
 *
 * <p>Invariants: at most {@code maxIdle} idle messages (each stripe holds at most its
 * {@code cap}, and the caps add up to {@code maxIdle}); every idle message is owned by
 * {@link Owner#POOL}, is fully cleared, and sits in exactly one stripe exactly once; a message
 * leaves the pool only through a successful pop, so no message is ever handed to two holders.
 * Order is LIFO per stripe, so a thread that puts and gets on its own (the pool as one thread
 * sees it) gets the last message it put first. {@code bigRetained} is the buffer capacity the
 * idle messages with buffers over {@link #KEEP_ALWAYS_BYTES} hold, and stays within
 * {@link #RETAINED_BYTES_BUDGET}, so all idle buffers stay within that budget plus
 * {@link #KEEP_ALWAYS_BYTES} per idle message.
 *
 * <p>Threads: every method may be called from any thread. Each stripe's {@code lock}, a
 * {@link SpinLock} (the critical sections are a few pushes or pops, and a virtual thread parked
 * on a contended {@code ReentrantLock} costs far more than they do), guards that stripe's stack
 * and size; nothing inside it blocks, and no thread holds two stripe locks. {@code closed} is set
 * before close() clears the stripes, and every push re-checks it under the stripe's lock, so
 * nothing is kept after close() has cleared a stripe. A stripe's size read without its lock is
 * a hint that may be stale: a take or keep that trusts it may pass over a stripe, so a concurrent
 * {@code POOL_ONLY} get may find nothing or a keep drop its message, which the caller cannot tell
 * from a race it lost. No {@code synchronized} (virtual threads must not pin), no per-thread
 * caches.
 *
 * <p>Waiting readers and fairness: a channel's reader that finds the pool empty {@link #enlist}s a
 * {@link Waiter} (before it tells the application with its pool_empty Signal), waits in
 * {@link #awaitForEngine(Waiter, long)} and {@link #withdraw}s it when done. {@code waiters} (the
 * unserved waiters, oldest first), {@code waiting} (its size, also readable without the lock) and
 * each waiter's fields are guarded by {@code waitLock}; lock order is {@code waitLock}, then a
 * stripe lock, never the reverse. Fairness invariant: while a reader waits, a message given back
 * goes to a waiting reader, not to whoever takes next: a keep that sees {@code waiting > 0} hands
 * its message to the oldest waiter ({@code handed}, signalled through the waiter's own condition)
 * instead of pushing it; the engine's non-waiting takes ({@link #tryTakeForEngine}) take nothing
 * while {@code waiting > 0} (their reader then waits in line); a keep that pushed reads
 * {@code waiting} after its stripe unlock and, if a reader enlisted meanwhile, moves idle
 * messages to the waiters under {@code waitLock}; a waiter looks at every stripe under its lock
 * (hints ignored) before each wait, so a push before it enlisted is seen (no lost wake-up). A
 * message handed to a waiter is owned by the engine; one its waiter withdraws without taking it is
 * kept again (handed on or pushed). Without this, a message put back for a starved reader could
 * be taken by another channel's reader or by the application, and the starved reader, which sends
 * one pool_empty Signal per wait, would wait until unrelated traffic came.
 */
public final class MessagePool {

    /** Least share of {@code maxIdle} per stripe: smaller pools have fewer stripes, down to one. */
    public static final int MIN_PER_STRIPE = 64;
    /** Most stripes: four per processor (a power of two), so threads on different cores seldom share one. */
    public static final int MAX_STRIPES = Math.min(64, Integer.highestOneBit(4 * Runtime.getRuntime().availableProcessors() - 1) << 1);

    private final int maxIdle;
    /**
     * Most buffer bytes the idle messages keep: a message put back while the idle ones already hold
     * this much loses its buffers over {@link #KEEP_ALWAYS_BYTES} (it stays pooled), so a pool that
     * once carried many 64 KiB bodies does not hold on to gigabytes.
     */
    public static final long RETAINED_BYTES_BUDGET = 32L << 20;
    /** Buffers up to this size are always kept. */
    public static final int KEEP_ALWAYS_BYTES = 4096;

    private final Stripe[] stripes;
    private final int mask;
    private volatile boolean closed;
    /** Buffer capacity of the idle messages whose buffers are over KEEP_ALWAYS_BYTES. */
    private final AtomicLong bigRetained = new AtomicLong();
    private final ReentrantLock waitLock = new ReentrantLock();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>(); // guarded by waitLock: unserved, oldest first
    private final AtomicInteger waiting = new AtomicInteger(); // waiters.size(), written under waitLock
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong adopted = new AtomicLong();

    /**
     * A reader waiting for a message, from {@link #enlist} to {@link #withdraw} (one thread: the
     * channel's reader). Fields guarded by the pool's {@code waitLock}.
     */
    public static final class Waiter {
        private final Condition wake;
        private MessageStore handed;   // a kept message given to this waiter, owned by the engine
        private boolean queued;   // in waiters: not served yet
        private boolean woken;    // wakeWaiters() since this waiter last returned

        private Waiter(Condition wake) {
            this.wake = wake;
        }
    }

    /** One LIFO stack of idle messages and its lock; fields other than cap are guarded by lock. */
    private static final class Stripe {
        private static final VarHandle SIZE;

        static {
            try {
                SIZE = MethodHandles.lookup().findVarHandle(Stripe.class, "size", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final SpinLock lock = new SpinLock();
        final ArrayDeque<MessageStore> idle; // head = most recently put
        final int cap;
        /**
         * idle.size(). Written under the lock with a release store and read elsewhere with an
         * acquire load (a hint for whoever looks for messages or room, and idleCount()): on x86
         * both are plain moves, where a volatile write would cost a fence per push and pop.
         */
        int size;

        int sizeHint() {
            return (int) SIZE.getAcquire(this);
        }

        void addSize(int delta) {
            SIZE.setRelease(this, size + delta);
        }

        Stripe(int cap) {
            this.cap = cap;
            this.idle = new ArrayDeque<>(Math.max(16, Math.min(cap, 1024)));
        }
    }

    /**
     * Creates a pool holding {@code initial} fresh messages, keeping at most {@code maxIdle} idle,
     * with as many stripes as {@code maxIdle} allows (see {@link #MIN_PER_STRIPE}).
     */
    public MessagePool(int initial, int maxIdle) {
        this(initial, maxIdle, stripesFor(maxIdle));
    }

    /**
     * Creates a pool of {@code stripeCount} stripes (a power of two, at most {@code maxIdle} when
     * {@code maxIdle > 0}), holding {@code initial} fresh messages spread over them in turn.
     */
    public MessagePool(int initial, int maxIdle, int stripeCount) {
        if (initial < 0 || maxIdle < initial) {
            throw new IllegalArgumentException("need 0 <= initial <= maxIdle, got " + initial + "/" + maxIdle);
        }
        if (stripeCount < 1 || Integer.bitCount(stripeCount) != 1 || maxIdle > 0 && stripeCount > maxIdle) {
            throw new IllegalArgumentException("stripes must be a power of two, at most maxIdle, got " + stripeCount);
        }
        this.maxIdle = maxIdle;
        this.stripes = new Stripe[stripeCount];
        this.mask = stripeCount - 1;
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new Stripe(maxIdle / stripeCount + (i < maxIdle % stripeCount ? 1 : 0));
        }
        for (int i = 0; i < initial; i++) {
            MessageStore m = newMessage();
            m.setOwner(Owner.POOL);
            Stripe st = stripes[i & mask];
            st.idle.push(m);
            st.addSize(1);
        }
    }

    /** How many stripes a pool of {@code maxIdle} gets. */
    static int stripesFor(int maxIdle) {
        int n = Integer.highestOneBit(Math.max(1, maxIdle / MIN_PER_STRIPE));
        return Math.min(n, MAX_STRIPES);
    }

    /** The home stripe of the calling thread (the application's calls). */
    private int threadHome() {
        long id = Thread.currentThread().threadId();
        return (int) ((id * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** The home stripe (0 to stripeCount() - 1) for a hint such as a channel number (a channel's reader and writer share it). */
    public int homeOf(int hint) {
        return home(hint);
    }

    private int home(int hint) {
        return (hint * 0x9E3779B9 >>> 16) & mask;
    }

    /** How many stripes this pool has. */
    public int stripeCount() {
        return stripes.length;
    }

    /**
     * Hands a message to the application (API {@code Ampe.get}).
     *
     * @return a cleared message owned by the application; {@code null} only for
     *         {@link AllocationStrategy#POOL_ONLY} when no message is idle
     * @throws TofuException {@link Status#SHUTDOWN_STARTED} after {@link #close()}
     */
    public MessageStore get(AllocationStrategy strategy) {
        if (closed) {
            throw new TofuException(Status.SHUTDOWN_STARTED, "the reactor is closed");
        }
        MessageStore m = takeOne(threadHome(), Owner.APPLICATION, true);
        if (m == null && strategy == AllocationStrategy.ALWAYS) {
            m = newMessage();
        }
        return m;
    }

    /**
     * Takes an idle message for the engine's own use (reading a frame), never creating one.
     *
     * @return a cleared message owned by the engine, or {@code null} if none is idle, a reader
     *         waits (see {@link #tryTakeForEngine(MessageStore[], int, int)}) or the pool is closed
     */
    public MessageStore tryTakeForEngine() {
        return closed || waiting.get() > 0 ? null : takeOne(threadHome(), Owner.ENGINE, true);
    }

    /**
     * Takes up to {@code max} idle messages for the engine (a reader about to read that many
     * buffered frames), never creating one: as many as the home stripe of {@code hint} (the
     * channel's number) has under one lock acquisition, or, when it has none, what the first other
     * stripe with messages has.
     *
     * <p>Takes nothing while a reader waits in {@link #awaitForEngine(Waiter, long)}: messages
     * given back then are for the waiting readers, and the caller's reader waits in line.
     *
     * @return how many messages were put in {@code dst[0, n)}, owned by the engine; 0 if none is
     *         idle, a reader waits, or the pool is closed
     */
    public int tryTakeForEngine(MessageStore[] dst, int max, int hint) {
        if (closed || max <= 0 || waiting.get() > 0) {
            return 0;
        }
        int home = home(hint);
        for (int k = 0; k <= mask; k++) {
            Stripe st = stripes[(home + k) & mask];
            if (k > 0 && st.sizeHint() == 0) {
                continue;
            }
            int n = 0;
            st.lock.lock();
            try {
                if (closed) {
                    return 0;
                }
                MessageStore m;
                while (n < max && (m = popLocked(st, Owner.ENGINE)) != null) {
                    dst[n++] = m;
                }
            } finally {
                st.lock.unlock();
            }
            if (n > 0) {
                return n;
            }
        }
        return 0;
    }

    /**
     * Waits up to {@code nanos} for an idle message for the engine; returns {@code null} on timeout,
     * when the pool closes, or when {@link #wakeWaiters()} is called (the caller re-checks why).
     * The same as {@link #enlist}, {@link #awaitForEngine(Waiter, long)}, {@link #withdraw}.
     */
    public MessageStore awaitForEngine(long nanos) throws InterruptedException {
        MessageStore m = tryTakeForEngine();
        if (m != null || nanos <= 0 || closed) {
            return m;
        }
        Waiter w = enlist();
        try {
            return awaitForEngine(w, nanos);
        } finally {
            withdraw(w);
        }
    }

    /**
     * Puts the calling reader in line for the next message given back (FIFO among waiting readers):
     * from now on a keep hands its message to the oldest waiter and the engine's non-waiting takes
     * yield. Call before telling the application the pool is empty, so the message it puts back in
     * answer cannot be taken by anyone but a waiting reader; always {@link #withdraw} afterwards.
     */
    public Waiter enlist() {
        Waiter w = new Waiter(waitLock.newCondition());
        waitLock.lock();
        try {
            w.queued = true;
            waiters.addLast(w);
            waiting.incrementAndGet();
        } finally {
            waitLock.unlock();
        }
        return w;
    }

    /**
     * Waits up to {@code nanos} for a message for the enlisted waiter {@code w}: one handed to it, or
     * an idle one (it looks at every stripe under its lock first). Returns {@code null} on timeout,
     * when the pool closes, or when {@link #wakeWaiters()} was called (the caller re-checks why and
     * may wait again, keeping its place in line). A message returned is owned by the engine; the
     * waiter is then served and must still be {@link #withdraw}n.
     */
    public MessageStore awaitForEngine(Waiter w, long nanos) throws InterruptedException {
        waitLock.lock();
        try {
            long left = nanos;
            while (true) {
                MessageStore m = w.handed;
                if (m != null) {
                    w.handed = null;
                    return m;
                }
                if (closed) {
                    return null;
                }
                // an idle message while readers wait is one a keep pushed before it saw them: take it
                m = takeOne(threadHome(), Owner.ENGINE, false);
                if (m != null) {
                    dequeue(w);
                    return m;
                }
                if (w.woken) {
                    w.woken = false;
                    return null;
                }
                if (left <= 0) {
                    return null;
                }
                left = w.wake.awaitNanos(left); // a keep's hand-off or wakeWaiters needs waitLock, released here
            }
        } finally {
            waitLock.unlock();
        }
    }

    /**
     * Takes {@code w} out of line. A message handed to it meanwhile that it has not taken is kept
     * again (handed to the next waiter, or pushed).
     */
    public void withdraw(Waiter w) {
        MessageStore m;
        waitLock.lock();
        try {
            dequeue(w);
            m = w.handed;
            w.handed = null;
        } finally {
            waitLock.unlock();
        }
        if (m != null) {
            m.setOwner(Owner.POOL);
            keep(m, threadHome());
        }
    }

    /** Holding waitLock: removes {@code w} from the line if it is still in it. */
    private void dequeue(Waiter w) {
        if (w.queued) {
            w.queued = false;
            waiters.remove(w);
            waiting.decrementAndGet();
        }
    }

    /** Wakes every reader in {@link #awaitForEngine} (used when a channel closes): each re-checks why. */
    public void wakeWaiters() {
        waitLock.lock();
        try {
            for (Waiter w : waiters) {
                w.woken = true;
                w.wake.signal();
            }
        } finally {
            waitLock.unlock();
        }
    }

    /**
     * Hands {@code m} (owned by the pool, cleared) to the oldest waiting reader; false (nothing
     * done) if none waits or the pool is closed.
     */
    private boolean handToWaiter(MessageStore m) {
        waitLock.lock();
        try {
            Waiter w = closed ? null : waiters.pollFirst();
            if (w == null) {
                return false;
            }
            w.queued = false;
            waiting.decrementAndGet();
            m.setOwner(Owner.ENGINE);
            w.handed = m;
            w.wake.signal();
            return true;
        } finally {
            waitLock.unlock();
        }
    }

    /**
     * After a push, once the stripe's lock is released: if readers wait (they enlisted after this
     * keep looked), moves idle messages to them, oldest first.
     */
    private void signalRefilled() {
        if (waiting.get() == 0) { // volatile read after the unlock's volatile write
            return;
        }
        waitLock.lock();
        try {
            while (!closed && !waiters.isEmpty()) {
                MessageStore m = takeOne(0, Owner.ENGINE, false);
                if (m == null) {
                    break;
                }
                Waiter w = waiters.pollFirst();
                w.queued = false;
                waiting.decrementAndGet();
                w.handed = m;
                w.wake.signal();
            }
        } finally {
            waitLock.unlock();
        }
    }

    /**
     * Takes storage whose lease the application ended into the pool (API {@code Ampe.put} and
     * {@code Message.close()}, after they released the handle). Does nothing for {@code null} (the
     * handle was already dead) or storage the application does not hold. Drops the storage for the
     * garbage collector when the pool is full or closed.
     */
    public void put(MessageStore m) {
        if (m == null || !m.casOwner(Owner.APPLICATION, Owner.POOL)) {
            return;
        }
        keep(m, threadHome());
    }

    /** Returns a message the engine owns (written, or discarded) to the pool. */
    public void recycle(MessageStore m) {
        if (m == null || !m.casOwner(Owner.ENGINE, Owner.POOL)) {
            return;
        }
        keep(m, threadHome());
    }

    /** Closes the pool: later {@code get} fails, later {@code put} drops, idle messages are released. */
    public void close() {
        closed = true; // before the clearing: a push that locks a stripe after it sees the flag
        for (Stripe st : stripes) {
            st.lock.lock();
            try {
                st.idle.clear();
                st.addSize(-st.size);
            } finally {
                st.lock.unlock();
            }
        }
        bigRetained.set(0);
        waitLock.lock(); // waiters see closed and return null
        try {
            for (Waiter w : waiters) {
                w.wake.signal();
            }
        } finally {
            waitLock.unlock();
        }
    }

    /** Returns the number of idle messages (exact when no thread is taking or keeping). */
    public int idleCount() {
        int n = 0;
        for (Stripe st : stripes) {
            n += st.sizeHint();
        }
        return n;
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
    public MessageStore create(int owner) {
        MessageStore m = newMessage();
        m.setOwner(owner);
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

    /**
     * Pops one message for {@code newOwner}: from stripe {@code home}, else the first other one with
     * messages; with {@code trustHints}, other stripes whose size hint says empty are skipped
     * without locking them.
     */
    private MessageStore takeOne(int home, int newOwner, boolean trustHints) {
        for (int k = 0; k <= mask; k++) {
            Stripe st = stripes[(home + k) & mask];
            if (k > 0 && trustHints && st.sizeHint() == 0) {
                continue;
            }
            MessageStore m;
            st.lock.lock();
            try {
                m = popLocked(st, newOwner);
            } finally {
                st.lock.unlock();
            }
            if (m != null) {
                return m;
            }
        }
        return null;
    }

    private MessageStore popLocked(Stripe st, int newOwner) {
        MessageStore m = st.idle.poll();
        if (m != null) {
            st.addSize(-1);
            long cap = capacity(m); // unchanged while idle
            if (cap > KEEP_ALWAYS_BYTES) {
                bigRetained.addAndGet(-cap);
            }
            m.setOwner(newOwner);
        }
        return m;
    }

    private static long capacity(MessageStore m) {
        return (long) m.headers().capacity() + m.body().capacity();
    }

    private void keep(MessageStore m, int home) {
        prepareToKeep(m);
        if (waiting.get() > 0 && handToWaiter(m)) { // a reader waits: the message is its, not the next taker's
            return;
        }
        if (keepInAnyStripe(m, home)) {
            signalRefilled();
        } else {
            dropped.incrementAndGet();
        }
    }

    /** Pushes {@code m} on stripe {@code home}, else on the first other one with room; false if every one is full or the pool closed. */
    private boolean keepInAnyStripe(MessageStore m, int home) {
        for (int k = 0; k <= mask; k++) {
            Stripe st = stripes[(home + k) & mask];
            if (k > 0 && st.sizeHint() >= st.cap) {
                continue;
            }
            st.lock.lock();
            try {
                if (closed) {
                    return false;
                }
                if (keepLocked(st, m)) {
                    return true;
                }
            } finally {
                st.lock.unlock();
            }
        }
        return false;
    }

    /** As {@link #recycleAll(MessageStore[], int, int)} onto the calling thread's home stripe. */
    public void recycleAll(MessageStore[] batch, int n) {
        recycleAll(batch, n, threadHome());
    }

    /**
     * Returns {@code n} written messages the engine owns ({@code batch[0..n)}) to the pool, onto the
     * home stripe of {@code hint} (the channel's number) under one lock acquisition as far as it has
     * room (the writer's batch: one acquisition instead of {@code n}), the rest one by one onto
     * other stripes, and clears the array slots.
     */
    public void recycleAll(MessageStore[] batch, int n, int hint) {
        if (waiting.get() > 0) { // readers wait: one by one, so each message can go to one of them
            int home = home(hint);
            for (int i = 0; i < n; i++) {
                MessageStore m = batch[i];
                batch[i] = null;
                if (m != null && m.casOwner(Owner.ENGINE, Owner.POOL)) {
                    keep(m, home);
                }
            }
            return;
        }
        int kept = 0;
        for (int i = 0; i < n; i++) {
            MessageStore m = batch[i];
            batch[i] = null;
            if (m != null && m.casOwner(Owner.ENGINE, Owner.POOL)) {
                prepareToKeep(m);
                batch[kept++] = m;
            }
        }
        if (kept == 0) {
            return;
        }
        int home = home(hint);
        Stripe st = stripes[home];
        int done = 0;
        boolean open;
        st.lock.lock();
        try {
            open = !closed;
            while (open && done < kept && keepLocked(st, batch[done])) {
                batch[done++] = null;
            }
        } finally {
            st.lock.unlock();
        }
        int dropping = 0;
        for (int i = done; i < kept; i++) {
            MessageStore m = batch[i];
            batch[i] = null;
            if (open && keepInAnyStripe(m, home + 1)) {
                done++;
            } else {
                dropping++;
            }
        }
        if (done > 0) {
            signalRefilled();
        }
        if (dropping > 0) {
            dropped.addAndGet(dropping);
        }
    }

    /** Outside the lock: clears a message that now belongs to the pool and adopts it if foreign. */
    private void prepareToKeep(MessageStore m) {
        m.clear();
        if (m.home() != this) {
            adopted.incrementAndGet(); // a message from elsewhere joins this pool
            m.setHome(this);
        }
    }

    /** Holding the stripe's lock (pool open): pushes {@code m} if the stripe has room; false if not. */
    private boolean keepLocked(Stripe st, MessageStore m) {
        if (st.size >= st.cap) {
            return false;
        }
        long cap = capacity(m);
        if (cap > KEEP_ALWAYS_BYTES) {
            if (bigRetained.addAndGet(cap) > RETAINED_BYTES_BUDGET) {
                bigRetained.addAndGet(-cap); // over the budget: keep the message, not its big buffers
                m.headers().release();
                m.body().release();
            }
        }
        st.idle.push(m);
        st.addSize(1);
        return true;
    }

    private MessageStore newMessage() {
        MessageStore m = new MessageStore(Owner.APPLICATION);
        m.setHome(this);
        created.incrementAndGet();
        return m;
    }
}
