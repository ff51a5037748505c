package dev.tofu.internal.concurrent;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A non-reentrant mutual-exclusion lock for critical sections of a few dozen instructions that
 * never block (the message pool's stack, a channel's outbound queue): a thread that finds it held
 * spins briefly, then yields, and never parks.
 *
 * <p>Why not {@link java.util.concurrent.locks.ReentrantLock}: on contention it parks the waiter,
 * and a virtual thread that parks is unmounted and later scheduled again, which costs microseconds
 * for a lock held for nanoseconds. Under a pipelined load, readers, writers and application
 * threads meet on the pool's lock often enough that those parks cost a large share of the
 * throughput (docs/PERFORMANCE.md, "Spin locks that never park"). Spinning is safe here only because the holder
 * never blocks inside: it stays mounted on its carrier until it unlocks, so a spinning waiter waits
 * for at most a critical section, unless the operating system preempts the holder's carrier;
 * waiters then {@link Thread#yield} (a virtual thread lets other virtual threads run on its
 * carrier; a platform thread lets the OS run another thread) instead of burning the core.
 *
 * <p>Memory effects: {@link #lock} has the effects of a volatile read and {@link #unlock} of a
 * volatile write, as a {@code ReentrantLock}'s do, so whatever a holder wrote is visible to the
 * next holder, and an unlock followed by a volatile read is not reordered (callers rely on this to
 * check for waiters after publishing).
 *
 * <p>Threads: any thread; only the holder may call {@link #unlock}. Never hold it across anything
 * that can block, park or wait (IO, {@code Condition.await}, {@code LockSupport.park}).
 */
public final class SpinLock {
    /** Spins (with {@link Thread#onSpinWait}) before a waiter starts yielding. */
    private static final int SPINS_BEFORE_YIELD = 64;

    private final AtomicInteger held = new AtomicInteger(); // 0 free, 1 held

    /** Creates an unheld lock. */
    public SpinLock() {
    }

    /** Acquires the lock, spinning and then yielding while another thread holds it. */
    public void lock() {
        if (held.compareAndExchange(0, 1) == 0) {
            return;
        }
        int spins = 0;
        do {
            while (held.get() != 0) { // read-only spin: no cache-line ping-pong while waiting
                if (++spins < SPINS_BEFORE_YIELD) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        } while (held.compareAndExchange(0, 1) != 0);
    }

    /** Acquires the lock if it is free now; returns whether it did. */
    public boolean tryLock() {
        return held.get() == 0 && held.compareAndExchange(0, 1) == 0;
    }

    /** Releases the lock; only the holder may call it. */
    public void unlock() {
        held.set(0);
    }

    /** Returns whether some thread holds the lock now (a snapshot, for assertions). */
    public boolean isLocked() {
        return held.get() != 0;
    }
}
