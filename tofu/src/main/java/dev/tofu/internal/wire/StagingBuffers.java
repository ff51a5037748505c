package dev.tofu.internal.wire;

import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

import java.nio.ByteBuffer;

/**
 * A pool of direct byte buffers of one size, lent to socket readers and writers so that their
 * bytes go between the kernel and one contiguous buffer: the JDK copies every heap buffer of a
 * socket call into a temporary direct buffer of its own, and a gathering write of many small heap
 * buffers pays that (and an {@code iovec}) per buffer.
 *
 * <p>Invariants: a buffer is lent to at most one holder at a time; an idle buffer sits in
 * {@code idle} exactly once, cleared; at most {@code maxIdle} buffers are idle (a buffer given back
 * to a full pool is left to the garbage collector, which frees its memory). Borrowers never wait
 * for each other: an empty pool allocates, through {@link DirectMemory}, where a virtual thread
 * parks for the moment the allocation takes instead of pinning its carrier.
 *
 * <p>Threads: {@link #borrow} and {@link #giveBack} from any thread (JCTools' lock-free MPMC queue
 * in its {@code Atomic} form). Whoever borrowed a buffer alone uses it until it gives it back.
 */
public final class StagingBuffers {
    private final int size;
    private final MpmcAtomicArrayQueue<ByteBuffer> idle;

    /**
     * Creates an empty pool of {@code size}-byte buffers keeping at most {@code maxIdle} (at least
     * 2) idle ones.
     */
    public StagingBuffers(int size, int maxIdle) {
        if (size < FrameHeader.SIZE) {
            throw new IllegalArgumentException("buffers of at least " + FrameHeader.SIZE + " bytes, got " + size);
        }
        this.size = size;
        this.idle = new MpmcAtomicArrayQueue<>(Math.max(2, maxIdle));
    }

    /** Returns a cleared buffer of {@link #size()} bytes, lent to the caller until {@link #giveBack}. */
    public ByteBuffer borrow() {
        ByteBuffer b = idle.poll();
        return b != null ? b : DirectMemory.allocate(size); // never allocateDirect on a virtual thread: it can pin
    }

    /** Takes back a buffer {@link #borrow} lent; the caller must not touch it afterwards. */
    public void giveBack(ByteBuffer b) {
        if (b != null && b.capacity() == size) {
            b.clear();
            idle.offer(b); // false when full: the buffer goes to the garbage collector
        }
    }

    /**
     * Lets go of every idle buffer (the reactor closed); their memory is freed with them. A buffer
     * given back later is kept again.
     */
    public void clear() {
        idle.clear();
    }

    /** Returns the size of every buffer. */
    public int size() {
        return size;
    }

    /** Returns how many buffers are idle now; a snapshot. */
    public int idleCount() {
        return idle.size();
    }
}
