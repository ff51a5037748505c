package dev.tofu.internal.engine;

import dev.tofu.Status;
import dev.tofu.TofuException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

/**
 * The channel-number space of one engine (PROTOCOL.md §5.1): numbers {@value #FIRST}..{@value #LAST}
 * bound to live channels, allocated uniformly at random, with the {@value #QUARANTINE} most recently
 * released numbers held back from reuse.
 *
 * <p>Invariants: a number is bound to at most one value; a bound number is never in the quarantine;
 * the quarantine holds each number at most once and at most {@value #QUARANTINE} numbers, oldest
 * leaving first; {@code live} equals the number of bound slots. 0 and 65535 are never bound.
 *
 * <p>Threads: {@link #get} is called on the {@code post()} hot path from any thread and never
 * locks (one volatile array read). {@link #allocate} (application threads inside {@code post()},
 * listener threads at accept) and {@link #release} (whichever thread closes a channel) take
 * {@code lock}; nothing inside the lock blocks. {@code lock} guards every write to {@code slots} and
 * all of {@code random}, {@code ring}, {@code ringHead}, {@code ringSize}, {@code quarantined}
 * and writes to {@code live}. No {@code synchronized} (virtual threads must not pin).
 *
 * @param <T> what a number is bound to (the channel)
 */
public final class ChannelTable<T> {
    /** The lowest application channel number. */
    public static final int FIRST = 1;
    /** The highest application channel number (65535 is reserved for the engine). */
    public static final int LAST = 65534;
    /** How many of the most recently released numbers are held back from reuse. */
    public static final int QUARANTINE = 1024;

    /** Random probes before falling back to an exact scan; at 90 % occupancy 32 probes miss 3 % of the time. */
    private static final int PROBES = 32;
    private static final int SPAN = LAST - FIRST + 1;

    // Read without the lock by get(); written only under lock. Volatile set/get publish the value.
    private final AtomicReferenceArray<T> slots = new AtomicReferenceArray<>(LAST + 2);
    private final ReentrantLock lock = new ReentrantLock();
    private final RandomGenerator random;                     // guarded by lock (need not be thread-safe)
    private final int[] ring = new int[QUARANTINE];           // guarded by lock: released numbers, FIFO
    private int ringHead;                                     // guarded by lock: index of the oldest
    private int ringSize;                                     // guarded by lock
    private final boolean[] quarantined = new boolean[LAST + 2]; // guarded by lock: number is in ring
    private volatile int live;                                // written under lock, read anywhere

    /** Creates an empty table with its own random source. */
    public ChannelTable() {
        this(new SplittableRandom());
    }

    /**
     * Creates an empty table drawing numbers from {@code random} (tests pass a seeded one). The
     * table only uses it under its lock, so it need not be thread-safe.
     */
    public ChannelTable(RandomGenerator random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Binds {@code value} to a number chosen uniformly at random among those neither bound nor in
     * the quarantine.
     *
     * @return the number, {@value #FIRST}..{@value #LAST}
     * @throws TofuException {@link Status#ALLOCATION_FAILED} if no number is available
     */
    public int allocate(T value) {
        Objects.requireNonNull(value, "value");
        lock.lock();
        try {
            int free = SPAN - live - ringSize;
            if (free <= 0) {
                throw new TofuException(Status.ALLOCATION_FAILED,
                        "no channel number free (" + live + " open, " + ringSize + " in quarantine)");
            }
            int n = pick(free);
            slots.set(n, value); // volatile write: the value's state is visible to every later get(n)
            live++;
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the value bound to {@code number}, or {@code null} (also for 0, 65535 and out of range). */
    public T get(int number) {
        if (number < FIRST || number > LAST) {
            return null;
        }
        return slots.get(number); // volatile read, pairs with the write in allocate
    }

    /**
     * Unbinds {@code number} if it is bound to exactly {@code value} (identity) and puts it into the
     * quarantine, pushing out the oldest number there when it holds {@value #QUARANTINE}.
     *
     * @return whether the number was unbound; if false nothing changed
     */
    public boolean release(int number, T value) {
        if (number < FIRST || number > LAST || value == null) {
            return false;
        }
        lock.lock();
        try {
            if (slots.get(number) != value) {
                return false;
            }
            slots.set(number, null);
            live--;
            if (ringSize == QUARANTINE) {
                quarantined[ring[ringHead]] = false;  // the oldest leaves
                ring[ringHead] = number;               // the newest takes its place; now the youngest
                ringHead = (ringHead + 1) % QUARANTINE;
            } else {
                ring[(ringHead + ringSize) % QUARANTINE] = number;
                ringSize++;
            }
            quarantined[number] = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Returns how many numbers are bound. */
    public int size() {
        return live;
    }

    /** Returns a snapshot of the bound values, in number order. */
    public List<T> values() {
        lock.lock();
        try {
            List<T> out = new ArrayList<>(live);
            for (int n = FIRST; n <= LAST; n++) {
                T v = slots.get(n);
                if (v != null) {
                    out.add(v);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Picks a free number uniformly: rejection sampling for a few probes (uniform over the free
     * numbers, fast while the table is not nearly full), then the k-th free number for a uniform k
     * (one scan; exact, and bounded however full the table is). Called under lock with free > 0.
     */
    private int pick(int free) {
        for (int i = 0; i < PROBES; i++) {
            int n = FIRST + random.nextInt(SPAN);
            if (isFree(n)) {
                return n;
            }
        }
        int k = random.nextInt(free);
        for (int n = FIRST; n <= LAST; n++) {
            if (isFree(n) && k-- == 0) {
                return n;
            }
        }
        throw new IllegalStateException("channel table counts are inconsistent");
    }

    private boolean isFree(int n) {
        return !quarantined[n] && slots.get(n) == null;
    }
}
