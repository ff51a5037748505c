package dev.tofu.internal.concurrent;

import dev.tofu.testing.Probe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared deadline timer's reused entries: a thread keeps one entry from wait to wait, a wait
 * that ends is no longer counted, the entries of threads that ended are dropped, and a due wait is
 * still woken at its deadline.
 */
@Timeout(60)
class WaitTimerTest {
    private static final WaitTimer T = WaitTimer.SHARED;

    @Test
    void aThreadReusesItsEntryFromWaitToWait() {
        WaitTimer.Entry a = T.enlist(Thread.currentThread(), System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        T.withdraw(a);
        WaitTimer.Entry b = T.enlist(Thread.currentThread(), System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        T.withdraw(b);
        assertSame(a, b, "one entry per thread, reused");
    }

    @Test
    void aDueWaitIsWokenAtItsDeadlineAndStopsCountingWhenWithdrawn() throws Exception {
        Thread waiter = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 3; i++) { // the same entry, three waits
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                WaitTimer.Entry e = T.enlist(Thread.currentThread(), deadline);
                try {
                    while (System.nanoTime() - deadline < 0) {
                        LockSupport.park(this); // only the timer wakes us
                    }
                } finally {
                    T.withdraw(e);
                }
            }
        });
        assertTrue(waiter.join(Duration.ofSeconds(10)), "three 20 ms waits woken by the timer");
    }

    @Test
    void theEntriesOfEndedThreadsAreDropped() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < WaitTimer.SWEEP_AFTER + 500; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                WaitTimer.Entry e = T.enlist(Thread.currentThread(), System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                T.withdraw(e);
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        // one more wait with a near deadline makes the timer scan; the scan drops the ended threads' entries
        Thread last = Thread.ofVirtual().start(() -> {
            WaitTimer.Entry e = T.enlist(Thread.currentThread(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2));
            T.withdraw(e);
        });
        last.join();
        Probe.awaitTrue(() -> {
            Thread poke = Thread.ofVirtual().start(() -> T.withdraw(T.enlist(Thread.currentThread(), System.nanoTime() + 1_000_000)));
            try {
                poke.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return T.entries() < 100;
        }, Duration.ofSeconds(20), "the ended threads' entries dropped (" + T.entries() + " left)");
        assertEquals(0, T.enlisted(), "no wait is counted once withdrawn");
    }
}
