package dev.tofu.internal.io;

import dev.tofu.internal.concurrent.SpinSlots;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * A virtual-thread reader's brief spin before it parks for the next frame (Options.readSpin).
 *
 * <p>Why: a virtual thread that reads an empty socket parks, and the JDK's poller wakes it when
 * bytes arrive: a round trip through the poller's threads and, when the carriers have gone idle,
 * a kernel wake-up of a carrier. A raw echo loop that reads and writes on one thread keeps the
 * poller busy enough to skip most of that; tofu's reader hands each frame to another thread, so
 * its next read usually takes the slow path, several times slower than the raw loop's
 * (docs/PERFORMANCE.md, "The read spin"). Spinning a few microseconds, yielding the carrier between checks of
 * the socket's readable byte count, catches the reply of a quick exchange without parking at all.
 *
 * <p>Why the rules below, and not simply "back off after a spin that finds nothing": whether a
 * reader's spin succeeds depends on the peer's reader. A reader that parks picks its frame up
 * through the poller tens of microseconds late, that delay lands in the peer's next wait, and
 * the peer's spin fails in turn. With a back-off after every failed spin the two ends of a
 * request/response channel therefore have two stable modes: both spinning (each reply comes within
 * the other's spin) or both backing off (each failure causes the other's, and their rare probing
 * spins seldom coincide). Which one a run ended in was decided by chance, a burst of failures
 * during JIT warm-up, a GC pause or another process taking a core (docs/PERFORMANCE.md, "The read
 * spin"). So failures back off only where spinning cannot pay, and a stuck pair gets a moment when
 * both ends spin together:
 *
 * <ul>
 *   <li><b>A quiet channel backs off.</b> When the wait that followed a failed spin lasted longer
 *       than the spin plus {@link #QUIET_NANOS} (1 ms), the next 1, 3, 7 … up to
 *       {@link #MAX_BACKOFF} waits park without spinning, as before: a channel whose frames come
 *       rarely spins about once per 65 frames. A wait shorter than that (time from one wait's start
 *       to the next's) ends the back-off: the channel is busy again.
 *   <li><b>On a busy channel, failed spins are paid from a budget.</b> It holds
 *       {@link #BUDGET_SPINS} failed spins, starts full, each failed spin takes one spin's time out
 *       of it and each successful spin puts one back. A reader whose budget cannot pay a spin parks
 *       without spinning. Failures that come now and then (the peer was preempted, a GC) never
 *       stop the spinning; a channel where spinning does not pay (the peer takes longer than the
 *       spin to answer, or the processors are taken by other work) stops after about
 *       {@code BUDGET_SPINS} failures more than successes.
 *   <li><b>A shared window.</b> During the first 2^20 ns (about 1 ms) of every 2^24 ns (about
 *       17 ms) of {@link System#nanoTime()}, failed spins are free: a reader spins whatever its
 *       budget. {@code nanoTime} is the machine's monotonic clock in every JVM on it, so both ends of
 *       a channel between two processes spin in the same window; if their exchanges can be fast,
 *       their spins succeed there and refill both budgets.
 * </ul>
 *
 * <p>What it costs, and the limits that bound it: every check is one system call (FIONREAD) and
 * one yield, so a spin that finds nothing is wasted CPU. A quiet channel wastes about one spin per
 * 65 frames; a busy channel where spinning does not pay wastes its budget once and then about a
 * sixteenth of its time (the window). The readers of the JVM share {@link SpinSlots}: as many may
 * spin at once as it has processors, and while readers find every slot taken (more channels busy
 * than cores) nobody spins.
 *
 * <p>Threads: one instance per reader, used only by that reader's thread, which must be virtual
 * (a platform reader blocked in the kernel is woken directly: it never needs this). A slot taken
 * from {@link SpinSlots} is given back in a {@code finally}, so a failing probe never leaks one.
 */
public final class ReadSpin {
    /** Most consecutive waits that park without spinning on a quiet channel. */
    public static final int MAX_BACKOFF = 64;
    /** A wait after a failed spin that lasts this much longer than the spin: the channel is quiet. */
    public static final long QUIET_NANOS = 1_000_000;
    /** How many failed spins the budget of a busy channel holds. */
    public static final int BUDGET_SPINS = 256;
    /** The shared window is the first 2^WINDOW_SHIFT ns of every 2^WINDOW_PERIOD_SHIFT ns of nanoTime. */
    public static final int WINDOW_SHIFT = 20;
    /** See {@link #WINDOW_SHIFT}. */
    public static final int WINDOW_PERIOD_SHIFT = 24;
    private static final long WINDOW_MASK = (1L << (WINDOW_PERIOD_SHIFT - WINDOW_SHIFT)) - 1;

    private final long spinNanos;
    private final long quietNanos;          // a wait at least this long (from its start) after a failed spin: quiet
    private final long maxBudget;
    private final InputStream probe;        // available() = the socket's readable bytes (FIONREAD)
    private final SpinSlots slots;
    private final LongSupplier clock;       // System::nanoTime, or a test's clock
    private int backoff;                    // waits to skip after the next quiet failure, / 2
    private int skip;                       // waits left to park without spinning
    private boolean failed;                 // the previous wait began with a spin that found nothing
    private long budget;                    // ns of failed spinning this reader may still spend
    private long lastWait;                  // System.nanoTime() when the previous wait began
    private long lastPeriod = -1;           // the SpinSlots period this reader last arrived in

    /** A spin of {@code spinNanos} over {@code probe}, in the JVM-wide {@link SpinSlots#SHARED}. */
    public ReadSpin(long spinNanos, InputStream probe) {
        this(spinNanos, probe, SpinSlots.SHARED);
    }

    /** As {@link #ReadSpin(long, InputStream)}, with its own slots (tests). */
    public ReadSpin(long spinNanos, InputStream probe, SpinSlots slots) {
        this(spinNanos, probe, slots, System::nanoTime);
    }

    /** As {@link #ReadSpin(long, InputStream, SpinSlots)}, reading the time from {@code clock} (tests). */
    public ReadSpin(long spinNanos, InputStream probe, SpinSlots slots, LongSupplier clock) {
        if (spinNanos <= 0) {
            throw new IllegalArgumentException("spin must be positive, got " + spinNanos + " ns");
        }
        this.spinNanos = spinNanos;
        this.quietNanos = spinNanos + QUIET_NANOS;
        this.maxBudget = BUDGET_SPINS * spinNanos;
        this.budget = maxBudget;
        this.probe = probe;
        this.slots = slots;
        this.clock = clock;
        this.lastWait = clock.getAsLong();
    }

    /**
     * Spins for up to the configured time until the socket has bytes to read, unless the channel
     * is quiet and backing off, the budget is spent outside the shared window, or the slots are
     * all taken or crowded. Never reads the socket; the caller's next read does.
     *
     * @return whether bytes are readable (false: the caller's read may park)
     * @throws IOException when the probe fails (the socket was closed, say)
     */
    public boolean awaitReadable() throws IOException {
        long now = clock.getAsLong();
        long gap = now - lastWait; // the previous wait, and the reading of what it brought
        lastWait = now;
        long period = SpinSlots.period(now);
        if (period != lastPeriod) { // counted once per period, spinning or not
            lastPeriod = period;
            slots.arrive(period);
        }
        if (gap < quietNanos) { // busy: no back-off, the budget bounds the failures
            backoff = 0;
            skip = 0;
        } else if (failed) {    // quiet: the bytes came long after the spin gave up
            backoff = Math.min(backoff * 2 + 1, MAX_BACKOFF);
            skip = backoff;
        }
        failed = false;
        if (skip > 0) {
            skip--;
            return false;
        }
        boolean free = inSharedWindow(now);
        if (budget < spinNanos && !free) {
            return false;
        }
        if (!slots.tryTake(now)) {
            return false;
        }
        long start = now;
        try {
            long end = now + spinNanos;
            do {
                Thread.yield(); // let the thread this reader just woke run first
                if (probe.available() > 0) {
                    budget = Math.min(maxBudget, budget + spinNanos);
                    return true;
                }
                now = clock.getAsLong();
            } while (now - end < 0 && !slots.crowded(now));
        } finally {
            slots.release();
        }
        if (!free) {
            budget -= Math.min(now - start, spinNanos); // a spin that lost its processor burned no more
        }
        failed = true;
        return false;
    }

    /** Whether {@code now} ({@link System#nanoTime()}) falls in the shared window, where failed spins are free. */
    public static boolean inSharedWindow(long now) {
        return ((now >>> WINDOW_SHIFT) & WINDOW_MASK) == 0;
    }

    /** Waits this reader will still park without spinning on a quiet channel (tests). */
    public int skipping() {
        return skip;
    }

    /** How many more spins that find nothing the budget pays for outside the shared window (tests). */
    public long budgetSpins() {
        return Math.max(0, budget) / spinNanos;
    }
}
