package dev.tofu;

/**
 * The engine's application interface (tofu's {@code Ampe}): channel groups and the shared message
 * pool. Obtain it from {@link Reactor#ampe()}. Every method is safe from any thread.
 */
public interface Ampe {
    /**
     * Creates a channel group.
     *
     * @return a new, empty channel group
     * @throws TofuException {@link Status#SHUTDOWN_STARTED} if the reactor is closing
     */
    ChannelGroup create();

    /**
     * Destroys a group: its channels close silently (sockets reset, queued messages dropped back to
     * the pool), messages waiting in its queue go back to the pool, a thread blocked in its
     * {@link ChannelGroup#waitReceive} wakes with {@link Status#SHUTDOWN_STARTED}, and later calls on
     * it raise {@link Status#SHUTDOWN_STARTED}. Returns once the group's channel threads have ended.
     * Destroying a group twice does nothing.
     *
     * @param group the group to destroy
     * @throws TofuException {@link Status#INVALID_CHANNEL_GROUP} for a group of another reactor
     */
    void destroy(ChannelGroup group);

    /**
     * Takes a message from the pool, cleared and owned by the application.
     *
     * @param strategy what to do when the pool is empty
     * @return a message; {@code null} only with {@link AllocationStrategy#POOL_ONLY} on an empty pool
     * @throws TofuException {@link Status#SHUTDOWN_STARTED} after the reactor closed
     */
    Message get(AllocationStrategy strategy);

    /**
     * Gives a message to the pool: it is cleared and kept if fewer than {@code maxPoolMsgs} are idle,
     * otherwise dropped. {@code null}, a message the engine owns, or one already in a pool is ignored.
     * Any message may be put, including one created with {@code new Message()}.
     *
     * @param message the message to give back, or {@code null}
     */
    void put(Message message);
}
