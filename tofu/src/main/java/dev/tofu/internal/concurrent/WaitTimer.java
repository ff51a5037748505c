package dev.tofu.internal.concurrent;

import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>Entries are reused: a thread that enlists itself gets its own entry once (kept in a
 * thread-local and in {@code entries}), and later waits only write its {@code deadline}, so a wait
 * costs two volatile writes rather than a set insertion and removal (with thousands of threads
 * waiting at once, the set's insertions cost a tenth of a pipelined request/response load's CPU).
 * The timer's scan drops the entries of threads that have ended, and {@link #enlist} pokes it into
 * a scan after {@link #SWEEP_AFTER} new entries, so the set stays about as large as the number of
 * live threads that wait. An entry enlisted for another thread is made and removed per wait.
 *
 * <p>Invariants: every enlisted waiter whose deadline passes while it is still enlisted is
 * unparked by the timer thread, not before its deadline ({@link System#nanoTime()} order) and, on
 * an unloaded machine, within about the platform timer slack after it. {@code plannedWake} is
 * either {@link #UNPLANNED} or a deadline the timer thread will wake at (it then sees every entry
 * enlisted so far). An entry is in {@code entries} from {@link #enlist} until {@link #withdraw}
 * (another thread's) or until a scan finds its thread ended (a thread's own); it is waiting while
 * its {@code deadline} is not {@link #NOT_WAITING}.
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
    /** The deadline of an entry whose thread is not waiting. */
    private static final long NOT_WAITING = Long.MIN_VALUE;
    /** New thread entries after which an enlist makes the timer scan (and drop ended threads' entries). */
    static final int SWEEP_AFTER = 4096;
    private static final long IDLE_EXIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** One timed wait: the parked thread and its deadline ({@code System.nanoTime()} based). */
    public static final class Entry {
        final Thread thread;
        final boolean own;         // the thread's own entry, reused from wait to wait
        volatile long deadline;    // NOT_WAITING between waits

        Entry(Thread thread, boolean own) {
            this.thread = thread;
            this.own = own;
            this.deadline = NOT_WAITING;
        }
    }

    private final Set<Entry> entries = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Entry> own = new ThreadLocal<>();
    private final AtomicInteger newSinceScan = new AtomicInteger();
    private volatile long plannedWake = UNPLANNED; // written by the timer thread only
    private final ReentrantLock lock = new ReentrantLock();
    private Thread thread;                         // guarded by lock: the live timer thread, or null

    /**
     * Enlists {@code thread} to be unparked once {@code deadline} has passed; the caller then parks
     * untimed (re-checking its own clock after each wake) and must {@link #withdraw} in a finally.
     */
    public Entry enlist(Thread thread, long deadline) {
        if (deadline == NOT_WAITING) {
            deadline++; // one nanosecond later than a deadline nobody can mean
        }
        Entry e;
        boolean sweep = false;
        if (thread == Thread.currentThread()) {
            e = own.get();
            if (e == null) {
                e = new Entry(thread, true);
                own.set(e);
                entries.add(e);
                sweep = newSinceScan.incrementAndGet() >= SWEEP_AFTER;
            }
        } else {
            e = new Entry(thread, false);
            entries.add(e);
        }
        e.deadline = deadline;
        VarHandle.fullFence(); // the deadline (and the add) before the read below
        long plan = plannedWake;
        if (plan == UNPLANNED || deadline - plan < 0 || sweep) {
            poke();
        }
        return e;
    }

    /** Ends an entry's wait (a thread's own entry stays for its next wait); never wakes anybody. */
    public void withdraw(Entry e) {
        if (e.own) {
            e.deadline = NOT_WAITING;
        } else {
            entries.remove(e);
        }
    }

    /** How many waits are enlisted now (for tests). */
    public int enlisted() {
        int n = 0;
        for (Entry e : entries) {
            if (e.deadline != NOT_WAITING) {
                n++;
            }
        }
        return n;
    }

    /** How many entries the timer holds, waiting or not (for tests). */
    public int entries() {
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
            newSinceScan.set(0);
            long now = System.nanoTime();
            long next = 0;
            boolean any = false;
            boolean due = false;
            for (Entry e : entries) {
                long d = e.deadline;
                if (d == NOT_WAITING) {
                    if (!e.thread.isAlive()) {
                        entries.remove(e); // an ended thread's own entry
                    }
                    continue;
                }
                if (d - now <= 0) {
                    LockSupport.unpark(e.thread); // due: the waiter returns and withdraws
                    due = true;
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
            if (due) {
                idleSince = System.nanoTime(); // waits just ended: look again soon
                LockSupport.parkNanos(this, MIN_NANOS);
                continue;
            }
            if (System.nanoTime() - idleSince >= IDLE_EXIT_NANOS) {
                lock.lock();
                try {
                    // plannedWake is UNPLANNED: a wait enlisted after this check pokes, takes the
                    // lock after us, finds no thread and starts a new one; one enlisted before it is
                    // seen here (its deadline was written before its poke took the lock)
                    if (!anyWaiting()) {
                        thread = null;
                        return;
                    }
                } finally {
                    lock.unlock();
                }
            }
            LockSupport.parkNanos(this, IDLE_EXIT_NANOS); // nobody waits: a poke or the idle exit ends this
        }
    }

    private boolean anyWaiting() {
        for (Entry e : entries) {
            if (e.deadline != NOT_WAITING) {
                return true;
            }
        }
        return false;
    }
}
