package dev.tofu.internal.concurrent;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The spin slots that {@link ReadSpin} readers share: how many may spin at once, and whether
 * spinning is off because more readers are busy than the JVM has processors.
 *
 * <p>Why the second part: spinning pays only while a carrier would otherwise sit idle waiting for
 * the poller. When more readers are busy than there are processors (several channels exchanging
 * at once), the carriers have work anyway and a spinning reader takes CPU from the threads that
 * have it, in this process or in the peer's (docs/PERFORMANCE.md, "The read spin"). So every reader that reaches its wait for data is counted once per period of
 * about a millisecond ({@link #arrive}), and nobody spins while the current or the previous period
 * counted more readers than there are slots. A reader that finds every slot taken also turns
 * spinning off for {@link #CROWDED_NANOS}.
 *
 * <p>Threads: any reader thread calls any method. Invariants: {@link #spinning()} never exceeds
 * {@link #max()} (a slot is taken with a CAS below the cap) and each successful {@link #tryTake}
 * is followed by exactly one {@link #release} by the same caller. The activity counts are
 * estimates: {@code activity} packs the current period and its count and moves only by CAS; the
 * previous period's count is written by whichever reader rolled the period over, so a reader
 * racing that write may see a count one period stale, which only delays or advances the switch
 * by a period.
 */
public final class SpinSlots {
    /** How long spinning stays off after a reader found every slot taken. */
    public static final long CROWDED_NANOS = 10_000_000;
    /** A period is 2^20 ns, about a millisecond. */
    public static final int PERIOD_SHIFT = 20;
    private static final int COUNT_BITS = 24;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

    /** The slots of every engine of the JVM (the carriers are per JVM too): as many as it has processors, at least 2. */
    public static final SpinSlots SHARED = new SpinSlots(Math.max(2, Runtime.getRuntime().availableProcessors()));

    private final AtomicInteger spinning = new AtomicInteger();
    private final int max;
    private final AtomicLong activity = new AtomicLong(); // period << COUNT_BITS | readers counted in it
    private volatile long previousCount;                    // readers counted in the period before
    private volatile long crowdedUntil;
    private volatile boolean everCrowded; // crowdedUntil means nothing until the first crowding

    /** Slots for at most {@code max} spinning readers. */
    public SpinSlots(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max spinners must be at least 1, got " + max);
        }
        this.max = max;
    }

    /** The period that {@link System#nanoTime()} {@code now} falls in. */
    public static long period(long now) {
        return (now >>> PERIOD_SHIFT) & ((1L << (64 - COUNT_BITS)) - 1);
    }

    /** Counts a reader that reached its wait for data in {@code period}; each reader calls it at most once per period. */
    public void arrive(long period) {
        while (true) {
            long cur = activity.get();
            long curPeriod = cur >>> COUNT_BITS;
            long count = cur & COUNT_MASK;
            if (curPeriod == period) {
                if (count == COUNT_MASK || activity.compareAndSet(cur, cur + 1)) {
                    return;
                }
            } else if (activity.compareAndSet(cur, period << COUNT_BITS | 1)) {
                previousCount = curPeriod == period - 1 ? count : 0;
                return;
            }
        }
    }

    /**
     * Takes a slot unless all are taken or spinning is off; a caller that finds all taken turns
     * spinning off for a while.
     *
     * @param now {@link System#nanoTime()} of the caller
     * @return whether the caller holds a slot and must {@link #release} it
     */
    public boolean tryTake(long now) {
        if (crowded(now)) {
            return false;
        }
        while (true) {
            int n = spinning.get();
            if (n >= max) {
                crowdedUntil = now + CROWDED_NANOS;
                everCrowded = true;
                return false;
            }
            if (spinning.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a slot taken with {@link #tryTake}. */
    public void release() {
        spinning.decrementAndGet();
    }

    /** Whether spinning is off at {@code now}: too many busy readers lately, or every slot found taken. */
    public boolean crowded(long now) {
        return busyReaders(now) > max || everCrowded && now - crowdedUntil < 0;
    }

    /** The larger of the readers counted in the period of {@code now} and in the one before it. */
    public long busyReaders(long now) {
        long period = period(now);
        long cur = activity.get();
        long curPeriod = cur >>> COUNT_BITS;
        if (curPeriod == period) {
            return Math.max(cur & COUNT_MASK, previousCount);
        }
        return curPeriod == period - 1 ? cur & COUNT_MASK : 0;
    }

    /** Readers holding a slot now. */
    public int spinning() {
        return spinning.get();
    }

    /** The most readers that may hold a slot at once. */
    public int max() {
        return max;
    }
}
