package dev.tofu.internal.concurrent;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded count of things in use (connected channels of a reactor, accepted channels of a
 * listener): {@link #tryTake} succeeds only while fewer than {@code max} are taken.
 *
 * <p>Invariant: {@code 0 <= taken() <= max} whenever every {@link #give} matches an earlier
 * successful {@link #tryTake}; concurrent takers never overshoot (compare-and-set loop). Any thread
 * may call any method.
 */
public final class Slots {
    private final int max; // 0 = unlimited
    private final AtomicInteger taken = new AtomicInteger();

    /** Creates a count with room for {@code max} (0: no limit). */
    public Slots(int max) {
        this.max = max;
    }

    /** Takes one slot if there is room; returns whether it did. */
    public boolean tryTake() {
        while (true) {
            int now = taken.get();
            if (max > 0 && now >= max) {
                return false;
            }
            if (taken.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Gives back a slot taken earlier. */
    public void give() {
        taken.decrementAndGet();
    }

    /** Returns how many slots are taken now. */
    public int taken() {
        return taken.get();
    }

    /** Returns the limit (0: none). */
    public int max() {
        return max;
    }
}
