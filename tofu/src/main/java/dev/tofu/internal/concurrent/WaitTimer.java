package dev.tofu.internal.concurrent;

import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One shared deadline timer for timed waits (the long ones of {@code waitReceive}): a waiter
 * {@link #enlist enlists} its deadline, parks <em>untimed</em>, and the timer thread unparks it once
 * the deadline has passed. A virtual thread's own {@code parkNanos} schedules (and cancels) a task
 * on the JDK's timer for every park, which wakes that timer's platform thread each time (its cost
 * per round trip is in docs/PERFORMANCE.md); here a wait that ends before its deadline costs a
 * set insertion and removal and wakes nobody, because the timer thread only wakes for the earliest
 * deadline it knows of and a new deadline later than that one needs no wake-up.
 *
 * <p>Invariants: every enlisted waiter whose deadline passes while it is still enlisted is
 * unparked by the timer thread, not before its deadline ({@link System#nanoTime()} order) and, on
 * an unloaded machine, within about the platform timer slack after it. {@code plannedWake} is
 * either {@link #UNPLANNED} or a deadline the timer thread will wake at (it then sees every entry
 * enlisted so far). An entry is in {@code entries} from {@link #enlist} until {@link #withdraw}.
 *
 * <p>Ordering (no lost deadline): a waiter adds its entry, then reads {@code plannedWake}; the
 * timer writes {@code UNPLANNED}, then scans {@code entries}, then writes the new plan. Either the
 * scan sees the entry, or the waiter reads {@code UNPLANNED} or the new plan, and pokes the timer
 * if its deadline is earlier than that plan (both sides use volatile accesses: sequentially
 * consistent with a full fence on each side, so one of them sees the other).
 *
 * <p>Threads: any thread enlists and withdraws (the consumer of the engine's group queue); one platform
 * daemon thread ({@code tofu-wait-timer}) runs the timer, started on demand and ending after
 * {@link #IDLE_EXIT_NANOS} without entries. {@code lock} guards only {@code thread} (its start and
 * end), never anything that blocks.
 */
public final class WaitTimer {
    /** The process-wide instance. */
    public static final WaitTimer SHARED = new WaitTimer();
    /** Waits shorter than this keep the precise {@code parkNanos} (little to win, frequent wakes). */
    public static final long MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long UNPLANNED = Long.MIN_VALUE;
    private static final long IDLE_EXIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** One timed wait: the parked thread and its deadline ({@code System.nanoTime()} based). */
    public static final class Entry {
        final Thread thread;
        final long deadline;

        Entry(Thread thread, long deadline) {
            this.thread = thread;
            this.deadline = deadline;
        }
    }

    private final Set<Entry> entries = ConcurrentHashMap.newKeySet();
    private volatile long plannedWake = UNPLANNED; // written by the timer thread only
    private final ReentrantLock lock = new ReentrantLock();
    private Thread thread;                         // guarded by lock: the live timer thread, or null

    /**
     * Enlists {@code thread} to be unparked once {@code deadline} has passed; the caller then parks
     * untimed (re-checking its own clock after each wake) and must {@link #withdraw} in a finally.
     */
    public Entry enlist(Thread thread, long deadline) {
        Entry e = new Entry(thread, deadline);
        entries.add(e);
        VarHandle.fullFence(); // the add before the read below (the set's own accesses may be acquire/release only)
        long plan = plannedWake;
        if (plan == UNPLANNED || deadline - plan < 0) {
            poke();
        }
        return e;
    }

    /** Removes an entry (its wait ended); never wakes anybody. */
    public void withdraw(Entry e) {
        entries.remove(e);
    }

    /** How many waits are enlisted now (for tests). */
    public int enlisted() {
        return entries.size();
    }

    /** Makes the timer thread rescan, starting it if none runs. */
    private void poke() {
        lock.lock();
        try {
            if (thread == null) {
                thread = Thread.ofPlatform().daemon().name("tofu-wait-timer").unstarted(this::run);
                thread.start();
            } else {
                LockSupport.unpark(thread);
            }
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        long idleSince = System.nanoTime();
        for (;;) {
            plannedWake = UNPLANNED; // from here on, a new entry pokes us (we may not see it below)
            VarHandle.fullFence();   // that write before the scan's reads
            long now = System.nanoTime();
            long next = 0;
            boolean any = false;
            for (Entry e : entries) {
                long d = e.deadline;
                if (d - now <= 0) {
                    LockSupport.unpark(e.thread); // due: the waiter returns and withdraws
                } else if (!any || d - next < 0) {
                    next = d;
                    any = true;
                }
            }
            if (any) {
                plannedWake = next;
                LockSupport.parkNanos(this, next - System.nanoTime());
                idleSince = System.nanoTime();
                continue;
            }
            if (entries.isEmpty() && System.nanoTime() - idleSince >= IDLE_EXIT_NANOS) {
                lock.lock();
                try {
                    // plannedWake is UNPLANNED: an entry added after this check pokes, takes the
                    // lock after us, finds no thread and starts a new one
                    if (entries.isEmpty()) {
                        thread = null;
                        return;
                    }
                } finally {
                    lock.unlock();
                }
            }
            if (!entries.isEmpty()) {
                idleSince = System.nanoTime(); // entries all due and unparked: rescan soon
                LockSupport.parkNanos(this, MIN_NANOS);
            } else {
                LockSupport.parkNanos(this, IDLE_EXIT_NANOS);
            }
        }
    }
}
