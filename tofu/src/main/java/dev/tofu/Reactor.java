package dev.tofu;

import dev.tofu.internal.engine.Engine;

import java.util.Objects;

/**
 * The engine: one message pool, one channel-number space, and the virtual threads that serve its
 * channels (tofu's {@code Reactor}). Create one per application (several are allowed and fully
 * independent), use it through {@link #ampe()}, and close it when done.
 *
 * <pre>{@code
 * try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
 *     Ampe ampe = reactor.ampe();
 *     ChannelGroup group = ampe.create();
 *     ...
 * }
 * }</pre>
 *
 * <p>Threads: every method is safe from any thread. No thread runs until a channel opens, and
 * {@link #close()} leaves none behind.
 */
public final class Reactor implements AutoCloseable {
    private final Engine engine;
    private final Options options;

    private Reactor(Options options) {
        this.engine = new Engine(options);
        this.options = options;
    }

    /**
     * Creates a reactor.
     *
     * @param options pool and queue settings; {@link Options#DEFAULT} for the defaults
     * @return the new reactor
     */
    public static Reactor create(Options options) {
        return new Reactor(Objects.requireNonNull(options, "options"));
    }

    /**
     * Creates a reactor with {@link Options#DEFAULT}.
     *
     * @return the new reactor
     */
    public static Reactor create() {
        return create(Options.DEFAULT);
    }

    /**
     * Returns the application interface: groups and the message pool.
     *
     * @return this reactor's {@link Ampe}
     */
    public Ampe ampe() {
        return engine;
    }

    /**
     * Returns the options this reactor was created with.
     *
     * @return its options
     */
    public Options options() {
        return options;
    }

    /**
     * Returns a snapshot of what the reactor is doing: open channels per kind, group queue depths,
     * pool counts, messages and bytes in and out, close reasons. Safe from any thread; cheap enough
     * to call once a second.
     *
     * @return a new snapshot
     */
    public ReactorStats stats() {
        return engine.stats();
    }

    /**
     * Closes the reactor: later calls raise {@link Status#SHUTDOWN_STARTED}; every group is destroyed
     * (blocked {@link ChannelGroup#waitReceive} calls wake with {@link Status#SHUTDOWN_STARTED}),
     * every channel closes silently (sockets reset, UDS listener files removed), every queued or
     * in-flight message is dropped, the channel threads are joined and the pool is closed.
     * Idempotent. An interrupt does not cut the join short: called on an interrupted thread (or
     * interrupted while it waits), it still returns only once the channel threads have ended (at
     * most 10 s per group for a thread that does not end), and leaves the interrupt flag set.
     */
    @Override
    public void close() {
        engine.close();
    }
}
