package dev.tofu.internal.engine;

import dev.tofu.internal.message.MessageStore;

/**
 * A fast path from a channel's reader straight to the request/response layer, past the group's
 * queue and the thread that would take from it: {@link Group#tap} installs one per group, and the
 * group offers it every frame a reader delivers before queueing it.
 *
 * <p>Threads: {@link #take} runs on the reader virtual thread of the frame's channel, so it must
 * not block (a short lock is fine) and must not throw. Frames of one channel are offered in the
 * order they arrived; a tap that refuses a frame must keep refusing the frames after it on that
 * channel until whoever takes from the queue has caught up, if their order matters.
 */
@FunctionalInterface
public interface FrameTap {
    /**
     * Offers a frame the engine holds. Returns {@code true} if the tap took it (it then owns the
     * store, typically leasing it to the application), {@code false} to have it queued as usual.
     */
    boolean take(MessageStore frame);
}
