package dev.tofu;

import java.time.Duration;

/**
 * Hears every call a {@link Client} makes ({@link ClientOptions#withCallListener}) or every request a
 * {@link Server} handles ({@link Server.Builder#callListener}), to meter or trace them without
 * wrapping call sites.
 *
 * <p>{@link #started} and {@link #finished} run on the same thread, once each per call: on a client,
 * the calling thread (just before the request is sent, and when the call returns or throws); on a
 * server, the request's handler thread (before the handler runs, and after its response was sent or
 * failed). A tracer can therefore keep its span in a thread-local of that thread. Keep both methods
 * short: they run inside the call. An exception they throw is logged and otherwise ignored.
 *
 * <p>A client call refused before sending (draining server, closed channel, interrupted caller) is
 * not reported: it never started.
 */
public interface CallListener {
    /**
     * A call starts.
     *
     * @param channel   the channel it travels on
     * @param messageId its message id (unsigned)
     */
    default void started(int channel, long messageId) {
    }

    /**
     * A call ended.
     *
     * @param channel   the channel it travelled on
     * @param messageId its message id (unsigned)
     * @param elapsed   how long it took, from {@link #started}
     * @param failure   {@code null} on success; otherwise what the caller got (client) or what the
     *                  handler threw or the post failed with (server)
     */
    default void finished(int channel, long messageId, Duration elapsed, Throwable failure) {
    }
}
