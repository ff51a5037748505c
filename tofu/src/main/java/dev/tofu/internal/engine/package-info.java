/**
 * The engine behind a {@link dev.tofu.Reactor}: {@link dev.tofu.internal.engine.Engine} (the
 * {@code Ampe}), the groups ({@link dev.tofu.internal.engine.Group} and its
 * {@link dev.tofu.internal.engine.GroupQueue}, many producers and one consumer), the channels
 * ({@link dev.tofu.internal.engine.Channel}: the {@code ListenerChannel} and the connected
 * {@code IoChannel}) with their {@link dev.tofu.internal.engine.ChannelLifecycle} state machine,
 * the {@link dev.tofu.internal.engine.ChannelTable} of channel numbers, the timeout
 * {@code Watchdog}, counters and the channel JFR events.
 *
 * <p>A connected channel is a coordinator: {@code IoChannel} owns the lifecycle, the socket and
 * its close, the watchdog's checks, peer credentials and the limit slots, and hands the IO to the
 * parts in {@code dev.tofu.internal.io} (connector, reader, writer strategy), which reach it only
 * through {@link dev.tofu.internal.io.ChannelHost}.
 *
 * <p>Data path: {@code post} (application thread) → {@code Group.post} → {@code IoChannel.accept}
 * → {@code ChannelWriter.post} → {@code Outbox} → writer virtual thread {@code tofu-ch-<n>-writer}
 * → socket → reader virtual thread {@code tofu-ch-<n>-reader} ({@code ChannelReader}) →
 * {@code Group.deliverFrames} → {@code GroupQueue} → {@code waitReceive} (application thread). A
 * listener accepts on {@code tofu-ch-<n>-listener}; a client connects on its writer thread before
 * writing. The watchdog ({@code tofu-watchdog}, only with a timeout option) and the shared
 * {@code tofu-wait-timer} are the only other threads. Application threads run {@code post},
 * {@code updateReceiver} and {@code waitReceive} here but never block on the network (except a
 * direct write, Options.withDirectWrite). The last of a channel's threads to end delivers its
 * close bundle. docs/ARCHITECTURE.md draws the whole path; docs/PROTOCOL.md says what each step
 * must do.
 *
 * <p>Uses {@code dev.tofu}, {@code internal.io}, {@code internal.message}, {@code internal.wire}
 * and {@code internal.concurrent}.
 */
package dev.tofu.internal.engine;
