/**
 * The socket-facing half of a connected channel, one class per thread's job:
 * {@link dev.tofu.internal.io.Connector} (a client's TCP or Unix-domain connect, the self-connect
 * check, the TLS client handshake), {@link dev.tofu.internal.io.ChannelReader} (the reader loop:
 * read spin, frame checks, batch delivery, pool waits) and {@link dev.tofu.internal.io.ChannelWriter}
 * (the writer loop), whose write strategy is chosen once per channel:
 * {@code QueuedWriter} or {@code DirectWriter}. With them: the channel's outbound queue
 * ({@link dev.tofu.internal.io.Outbox}, which also grants the writing rights), TLS
 * ({@link dev.tofu.internal.io.TlsTransport}), socket options, the read spin and the JFR
 * back-pressure event. The byte format itself is {@code dev.tofu.internal.wire}'s.
 *
 * <p>Threads: the connector runs on a client channel's writer thread before it writes; the reader
 * on {@code tofu-ch-<n>-reader}, the only thread that reads a channel's socket; the writer loop
 * on {@code tofu-ch-<n>-writer}; {@code ChannelWriter.post} and {@code Outbox.offer} on posting
 * (application) threads, which write to the socket only under the direct strategy and while they
 * hold the outbox's writing rights. Each class's comment says which thread calls what.
 *
 * <p>Reaches its channel only through {@link dev.tofu.internal.io.ChannelHost}; knows nothing of
 * the engine, groups or the channel table. Uses {@code dev.tofu}, {@code internal.message},
 * {@code internal.wire} and {@code internal.concurrent}.
 */
package dev.tofu.internal.io;
