package dev.tofu.wire;

import dev.tofu.internal.wire.DirectMemory;
import dev.tofu.internal.wire.StagingBuffers;
import dev.tofu.testing.PinningGuard;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Direct buffers for the engine's readers and writers come without pinning: allocateDirect takes a
 * JDK monitor, so a virtual thread hands the allocation to a platform thread (PinningGuard fails the
 * class if a virtual thread named like an engine thread pinned its carrier).
 */
@ExtendWith(PinningGuard.class)
class DirectMemoryTest {

    @Test
    @Timeout(60)
    void manyVirtualThreadsAllocatingAtOnceNeverPin() throws Exception {
        int threads = 200;
        int each = 50;
        StagingBuffers pool = new StagingBuffers(4096, 2); // nearly always empty: every borrow allocates
        CountDownLatch start = new CountDownLatch(1);
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            all.add(Thread.ofVirtual().name(PinningGuard.ENGINE_THREAD_PREFIX + "alloc-" + t + "-writer").start(() -> {
                try {
                    start.await();
                    List<ByteBuffer> held = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        ByteBuffer b = pool.borrow();
                        assertTrue(b.isDirect(), "a direct buffer");
                        assertEquals(4096, b.capacity());
                        assertEquals(4096, b.remaining(), "cleared");
                        held.add(b);
                    }
                    held.forEach(pool::giveBack);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread t : all) {
            t.join();
        }
        assertTrue(failures.isEmpty(), "failures: " + failures);
    }

    @Test
    @Timeout(30)
    void anInterruptedVirtualThreadStillGetsItsBufferAndKeepsItsInterrupt() throws Exception {
        AtomicReference<ByteBuffer> got = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread t = Thread.ofVirtual().unstarted(() -> {
            Thread.currentThread().interrupt();
            got.set(DirectMemory.allocate(1234));
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        t.start();
        t.join();
        assertEquals(1234, got.get().capacity());
        assertTrue(got.get().isDirect());
        assertEquals(Boolean.TRUE, stillInterrupted.get(), "the interrupt status survives the wait");
    }

    @Test
    void aPlatformThreadAllocatesItself() {
        ByteBuffer b = DirectMemory.allocate(64);
        assertTrue(b.isDirect());
        assertEquals(64, b.capacity());
    }
}
