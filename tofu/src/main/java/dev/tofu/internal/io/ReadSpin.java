package dev.tofu.internal.io;

import dev.tofu.internal.concurrent.SpinSlots;

import java.io.IOException;
import java.io.InputStream;

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
 * <p>What it costs, and the limits that bound it: every check is one system call (FIONREAD) and
 * one yield, so a spin that finds nothing is wasted CPU. A spin that gives up doubles how many of
 * the next waits park without spinning ({@link #MAX_BACKOFF} at most), and one that succeeds
 * resets that: a channel whose frames come rarely spins about once per 65 frames. The readers of
 * the JVM share {@link SpinSlots}: as many may spin at once as it has processors, and while
 * readers find every slot taken (more channels busy than cores) nobody spins.
 *
 * <p>Threads: one instance per reader, used only by that reader's thread, which must be virtual
 * (a platform reader blocked in the kernel is woken directly: it never needs this). A slot taken
 * from {@link SpinSlots} is given back in a {@code finally}, so a failing probe never leaks one.
 */
public final class ReadSpin {
    /** Most consecutive waits that park without spinning after failed spins. */
    public static final int MAX_BACKOFF = 64;

    private final long spinNanos;
    private final InputStream probe;        // available() = the socket's readable bytes (FIONREAD)
    private final SpinSlots slots;
    private int backoff;                    // waits to skip after the next failed spin, / 2
    private int skip;                       // waits left to park without spinning
    private long lastPeriod = -1;           // the SpinSlots period this reader last arrived in

    /** A spin of {@code spinNanos} over {@code probe}, in the JVM-wide {@link SpinSlots#SHARED}. */
    public ReadSpin(long spinNanos, InputStream probe) {
        this(spinNanos, probe, SpinSlots.SHARED);
    }

    /** As {@link #ReadSpin(long, InputStream)}, with its own slots (tests). */
    public ReadSpin(long spinNanos, InputStream probe, SpinSlots slots) {
        if (spinNanos <= 0) {
            throw new IllegalArgumentException("spin must be positive, got " + spinNanos + " ns");
        }
        this.spinNanos = spinNanos;
        this.probe = probe;
        this.slots = slots;
    }

    /**
     * Spins for up to the configured time until the socket has bytes to read, unless backing off
     * or the slots are all taken or crowded. Never reads the socket; the caller's next read does.
     *
     * @return whether bytes are readable (false: the caller's read may park)
     * @throws IOException when the probe fails (the socket was closed, say)
     */
    public boolean awaitReadable() throws IOException {
        long now = System.nanoTime();
        long period = SpinSlots.period(now);
        if (period != lastPeriod) { // counted once per period, spinning or not
            lastPeriod = period;
            slots.arrive(period);
        }
        if (skip > 0) {
            skip--;
            return false;
        }
        if (!slots.tryTake(now)) {
            return false;
        }
        try {
            long end = now + spinNanos;
            do {
                Thread.yield(); // let the thread this reader just woke run first
                if (probe.available() > 0) {
                    backoff = 0;
                    return true;
                }
                now = System.nanoTime();
            } while (now - end < 0 && !slots.crowded(now));
        } finally {
            slots.release();
        }
        backoff = Math.min(backoff * 2 + 1, MAX_BACKOFF);
        skip = backoff;
        return false;
    }

    /** Waits this reader will still park without spinning (tests). */
    public int skipping() {
        return skip;
    }
}
