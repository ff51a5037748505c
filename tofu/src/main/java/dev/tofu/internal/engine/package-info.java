/**
 * The engine behind a {@link dev.tofu.Reactor}: {@link dev.tofu.internal.engine.Engine} (the
 * {@code Ampe}), the groups ({@link dev.tofu.internal.engine.Group} and its
 * {@link dev.tofu.internal.engine.GroupQueue}), the channels (listener, client and accepted
 * connections) with their lifecycle state machine and outbound queue
 * ({@link dev.tofu.internal.engine.Outbox}), the channel-number table, TLS, the read spin, the
 * timeout watchdog, counters and JFR events.
 *
 * <p>Data path: {@code post} (application thread) → {@code Outbox} → writer virtual thread
 * {@code tofu-ch-<n>-writer} → socket → reader virtual thread {@code tofu-ch-<n>-reader} →
 * {@code GroupQueue} → {@code waitReceive} (application thread). A listener accepts on
 * {@code tofu-ch-<n>-listener}; a client connects on its writer thread before writing. The
 * watchdog ({@code tofu-watchdog}, only with a timeout option) and the shared {@code tofu-wait-timer}
 * are the only other threads. Application threads run {@code post}, {@code updateReceiver} and
 * {@code waitReceive} here but never block on the network. docs/ARCHITECTURE.md draws the whole
 * path; docs/PROTOCOL.md says what each step must do.
 *
 * <p>Uses {@code dev.tofu}, {@code internal.message}, {@code internal.wire} and
 * {@code internal.concurrent}.
 */
package dev.tofu.internal.engine;
