package dev.tofu.testing;

import dev.tofu.internal.concurrent.WaitTimer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps the shared {@link WaitTimer} busy while it is open: eight virtual threads enlist and
 * withdraw 2 ms deadlines without pause, so every other thread's enlisting pokes the timer and
 * contends for its lock (the setting in which a waiter's wake-up used to be lost). {@link #close()}
 * stops them and joins them.
 */
public final class TimerNoise implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    /** Starts the noise threads. */
    public TimerNoise() {
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    WaitTimer.Entry e = WaitTimer.SHARED.enlist(Thread.currentThread(),
                            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2));
                    WaitTimer.SHARED.withdraw(e);
                }
            }));
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
    }
}
