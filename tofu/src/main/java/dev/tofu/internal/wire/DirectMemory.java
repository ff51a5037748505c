package dev.tofu.internal.wire;

import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Allocates direct byte buffers without pinning a virtual thread: {@code ByteBuffer.allocateDirect}
 * registers each buffer's memory with the JDK's cleaner behind a monitor, and a virtual thread that
 * meets that monitor contended pins its carrier (Java 21; on later JDKs it may still fail to
 * unmount there). A virtual thread therefore hands the allocation to one platform daemon thread,
 * {@code tofu-direct-alloc}, and parks until it is done; a platform thread allocates itself. The
 * hop costs tens of microseconds, paid only when a buffer pool is empty (a channel's first read,
 * a burst of writers).
 *
 * <p>Invariants: every call returns a new buffer of the asked size or throws what the allocation
 * threw ({@link OutOfMemoryError} when direct memory is exhausted). The allocating thread exists
 * only while there is work and for {@link #IDLE_SECONDS} after, so an idle process keeps none.
 *
 * <p>Threads: {@link #allocate} from any thread. An interrupt of a waiting caller does not abandon
 * the allocation (it is short); the caller's interrupt status is set again when it returns.
 */
public final class DirectMemory {
    /** How long the allocating thread outlives its last allocation. */
    static final long IDLE_SECONDS = 2;

    private static final ThreadPoolExecutor ALLOCATOR = new ThreadPoolExecutor(0, 1, IDLE_SECONDS, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> Thread.ofPlatform().daemon().name("tofu-direct-alloc").unstarted(r));

    private DirectMemory() {
    }

    /**
     * One allocation for the allocating thread. A named class rather than a lambda: a lambda is
     * linked on its first run, on whichever thread gets there first, and the engine preloads this
     * class so that no engine thread is the one to load or link it (EngineClasses, through ClassPreload).
     */
    private record Allocation(int size) implements Callable<ByteBuffer> {
        @Override
        public ByteBuffer call() {
            return ByteBuffer.allocateDirect(size);
        }
    }

    /**
     * Returns a new direct buffer of {@code size} bytes, allocated on a platform thread.
     *
     * @throws OutOfMemoryError when the JDK has no direct memory left
     */
    public static ByteBuffer allocate(int size) {
        if (!Thread.currentThread().isVirtual()) {
            return ByteBuffer.allocateDirect(size);
        }
        Future<ByteBuffer> done = ALLOCATOR.submit(new Allocation(size));
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException("direct buffer allocation failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
