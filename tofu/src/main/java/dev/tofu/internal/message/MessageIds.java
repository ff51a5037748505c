package dev.tofu.internal.message;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The process-wide message-id counter (PROTOCOL.md §2.2 rule 9): starts at 1, +1 per assignment,
 * shared by every engine and thread. Lock-free; any thread.
 */
public final class MessageIds {
    private static final AtomicLong NEXT = new AtomicLong(1);

    private MessageIds() {
    }

    /** Returns the next id; never 0 in practice (it would take 2^64 assignments to wrap). */
    public static long next() {
        long id = NEXT.getAndIncrement();
        return id != 0 ? id : NEXT.getAndIncrement();
    }
}
