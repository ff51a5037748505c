package dev.tofu.stress.jcstress;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.concurrent.SpinLock;
import dev.tofu.internal.message.MessagePool;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.ZZ_Result;

import java.util.concurrent.TimeUnit;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The {@link SpinLock} that guards the message pool and each outbox: two holders never overlap
 * (their plain read-modify-writes of shared fields are never lost), what one holder wrote is seen
 * by the next; and the pool's wait for a message, which no longer waits under that lock, is never
 * left waiting for its timeout when a message is pushed at the same moment.
 */
public class SpinLockRace {
    private SpinLockRace() {
    }

    /** Two threads each add 1 to two plain fields under the lock: both additions always land. */
    @JCStressTest
    @Description("two lockers increment plain fields")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "mutual exclusion and visibility: both increments kept")
    @Outcome(expect = FORBIDDEN, desc = "an increment was lost or torn: the critical sections overlapped")
    @State
    public static class MutualExclusion {
        private final SpinLock lock = new SpinLock();
        private int x;
        private int y;

        @Actor
        public void first() {
            increment();
        }

        @Actor
        public void second() {
            increment();
        }

        private void increment() {
            lock.lock();
            try {
                int seen = x;
                y = y + 1;
                x = seen + 1;
            } finally {
                lock.unlock();
            }
        }

        @Arbiter
        public void check(II_Result r) {
            r.r1 = x;
            r.r2 = y;
        }
    }

    /**
     * A reader waits (up to 2 s) for a message from an empty pool while another thread puts one
     * back. r1 = the reader got a message; r2 = it waited for (nearly) the whole timeout, which
     * only a lost wake-up explains.
     */
    @JCStressTest
    @Description("a reader waits for the pool while a message is put back")
    @Outcome(id = "true, false", expect = ACCEPTABLE, desc = "the reader got the message at once")
    @Outcome(id = "true, true", expect = FORBIDDEN, desc = "lost wake-up: the reader found it only at its timeout")
    @Outcome(expect = FORBIDDEN, desc = "the message never reached the reader")
    @State
    public static class RefillWakesTheWaiter {
        private static final long WAIT = TimeUnit.SECONDS.toNanos(2);
        private final MessagePool pool = new MessagePool(0, 4);
        private final MessageStore message = pool.get(AllocationStrategy.ALWAYS); // created: the pool stays empty

        @Actor
        public void reader(ZZ_Result r) {
            long start = System.nanoTime();
            MessageStore m;
            try {
                m = pool.awaitForEngine(WAIT);
            } catch (InterruptedException e) {
                m = null;
            }
            r.r1 = m != null;
            r.r2 = System.nanoTime() - start > WAIT / 2;
        }

        @Actor
        public void putter() {
            pool.put(message);
        }
    }
}
