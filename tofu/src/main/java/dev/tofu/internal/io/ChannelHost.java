package dev.tofu.internal.io;

import dev.tofu.Status;
import dev.tofu.internal.message.MessageStore;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;

/**
 * What a connected channel's socket-side parts ({@link Connector}, {@link ChannelReader},
 * {@link ChannelWriter}) may ask of the channel that owns them: its number, its lifecycle, its
 * group and its counters. The engine's {@code IoChannel} implements it; the parts know nothing
 * else of the engine, so this interface is the whole of what they depend on.
 *
 * <p>Threads: every method is safe from any thread. {@link #deliver} is called only by the
 * channel's reader and may wait for room in the group's queue; nothing else here blocks.
 */
public interface ChannelHost {

    /** The channel number, for logs, events and the messages read ({@code Message.channel}). */
    int number();

    /** Whether a close has begun (the parts then stop quietly: the close reports itself). */
    boolean isClosing();

    /** The status a lost peer closes the channel with now (PROTOCOL.md §5.5.1: after a ByeResponse it is a plain close). */
    Status peerLossReason();

    /**
     * Starts a close with {@code reason}, because of {@code failure} (nullable) whose class and
     * message then reach the application in {@code ~error}; returns whether this call started it.
     */
    boolean startClose(Status reason, Throwable failure);

    /** The writer is about to write a ByeResponse: from now on a peer's close is not a loss (§5.5.1). */
    void byeResponseWritten();

    /** Makes a socket being connected visible to closers; throws, having closed it, if a close already began. */
    void publish(SocketChannel socket) throws ClosedChannelException;

    /**
     * Reader: delivers the frames {@code frames[0, n)} to the channel's group in order, waiting
     * while its queue is full, and clears the slots; false if the group is gone.
     */
    boolean deliver(MessageStore[] frames, int n) throws InterruptedException;

    /** Reader: the channel's first frame arrived, carrying {@code messageId} (the id of its close Signal, §5.6). */
    void firstFrame(long messageId);

    /** Reader: the pool is empty; sends the group one {@code POOL_EMPTY} Signal (§6.6). */
    void poolEmpty();

    /** How many messages wait in the group's receive queue now (a hint for direct writes). */
    int receiveQueued();

    /** Counts {@code n} frames of {@code bytes} in all read from the socket. */
    void countIn(int n, long bytes);

    /** Counts {@code n} frames of {@code bytes} in all written to the socket. */
    void countOut(int n, long bytes);
}
