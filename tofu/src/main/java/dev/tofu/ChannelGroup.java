package dev.tofu;

import jdk.net.UnixDomainPrincipal;

import java.time.Duration;
import java.util.Optional;

/**
 * A channel group: a receive queue plus the channels it owns (PROTOCOL.md §6.3–§6.7). Every message
 * for one of its channels (received frames, engine notices, returned messages) arrives in its queue,
 * in order; {@link #updateReceiver} adds messages of the application's own.
 *
 * <p>Threads: {@link #post}, {@link #updateReceiver} and {@link #close} are safe from any thread and
 * never block on the network. One thread at a time calls {@link #waitReceive}; a second concurrent
 * caller gets {@link TofuException} with {@link Status#NOT_ALLOWED}.
 */
public interface ChannelGroup extends AutoCloseable {
    /** A timeout that waits forever. */
    Duration INFINITE = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
    /** One second. */
    Duration SEC = Duration.ofSeconds(1);
    /**
     * The text header on an engine-produced failure message (a HelloResponse with
     * {@link Status#CONNECT_FAILED}, a WelcomeResponse with {@link Status#LISTEN_FAILED}, the close
     * Signal of a channel that failed on an I/O error) that says why: the underlying exception's
     * class and message, for example {@code java.net.ConnectException: Connection refused}.
     */
    String ERROR_HEADER = "~error";

    /**
     * Validates {@code message} (PROTOCOL.md §2.2), hands it to the engine and returns its prepared
     * header. A HelloRequest or WelcomeRequest posted with channel 0 opens a new channel, whose
     * number the returned header holds; a message id of 0 is replaced by the next process-wide id.
     * Nothing has been sent when this returns: results arrive through {@link #waitReceive} (a
     * failed connect or listen comes back as a HelloResponse or WelcomeResponse whose
     * {@link #ERROR_HEADER} says why).
     *
     * <p>On success the engine owns the message; the application must not use it again. On failure
     * the message stays with the application and its status is set to the error's.
     *
     * <p>The caller's interrupt status neither fails the post nor closes the channel: an
     * interrupted thread's post is sent by the channel's writer thread (even with
     * {@link Options#withDirectWrite(boolean)}), and the flag stays set.
     *
     * @param message the message to send; the application must own it
     * @return the header as prepared: assigned channel and message id, origin application, status 0
     * @throws TofuException         with the status of the first rule the message breaks,
     *                               {@link Status#SHUTDOWN_STARTED} after the group or engine closed
     * @throws IllegalStateException if the application does not own the message
     */
    BinaryHeader post(Message message);

    /**
     * Returns the next message of this group's queue, waiting up to {@code timeout}; {@code null} on
     * timeout. {@link Duration#ZERO} polls; {@link #INFINITE} waits forever. The application owns the
     * returned message: {@link Ampe#put} it, close it, or post it again as a reply.
     *
     * <p>Classify what arrives by {@link Message#origin()} first, then status, then opcode.
     *
     * <p>Interrupts: a waiting call (timeout above zero, {@link #INFINITE} included) on a thread that
     * is interrupted, before the call or while it waits, throws {@link TofuInterruptedException}
     * promptly, even if messages are queued, and leaves the thread's interrupt flag set; it takes
     * nothing, so queued messages and those that arrive later stay for the next call (after the
     * flag is cleared). {@code null} always means a timeout. A poll ({@link Duration#ZERO}) never
     * waits and does not look at the interrupt flag.
     *
     * @param timeout how long to wait; zero or negative polls
     * @return the next message, or {@code null} on timeout
     * @throws TofuInterruptedException if the thread is interrupted (see above); the flag stays set
     * @throws TofuException {@link Status#SHUTDOWN_STARTED} once the group is destroyed or the engine
     *                       closed (also for a caller blocked here at that moment);
     *                       {@link Status#NOT_ALLOWED} if another thread is already waiting
     */
    Message waitReceive(Duration timeout);

    /**
     * Adds a message to this group's queue and wakes the waiting receiver. With {@code null} the
     * engine adds a fresh Signal (origin engine, status {@link Status#RECEIVER_UPDATE}, channel 0,
     * message id 0); otherwise {@code message} is delivered as is except origin application and
     * status {@link Status#RECEIVER_UPDATE}, and the engine owns it from now on. Never blocks.
     *
     * @param message the message to deliver, or {@code null} for an engine Signal
     * @throws TofuException         {@link Status#SHUTDOWN_STARTED} if the group is gone
     * @throws IllegalStateException if the application does not own {@code message}
     */
    void updateReceiver(Message message);

    /**
     * Returns who is at the other end of one of this group's Unix-domain channels: the user and
     * group the peer process runs as, from the kernel ({@code SO_PEERCRED}), so a server can refuse
     * local users that do not belong (for example when the HelloRequest arrives). Empty for TCP
     * channels, listeners and channels not connected yet.
     *
     * @param channel a channel of this group
     * @return the peer's user and group, or empty
     * @throws TofuException {@link Status#INVALID_CHANNEL_NUMBER} for an unknown or closed channel,
     *                       {@link Status#INVALID_CHANNEL_GROUP} for another group's channel
     */
    Optional<UnixDomainPrincipal> peerCredentials(int channel);

    /**
     * Destroys this group, exactly as {@link Ampe#destroy(ChannelGroup)}: its channels close
     * silently, queued messages return to the pool, a blocked {@link #waitReceive} wakes with
     * {@link Status#SHUTDOWN_STARTED}. Idempotent.
     */
    @Override
    void close();
}
