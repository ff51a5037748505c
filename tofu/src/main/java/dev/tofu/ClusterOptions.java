package dev.tofu;

import java.util.Objects;

/**
 * The settings of a {@link ClusterClient}; immutable. Start from {@link #DEFAULT} and change one
 * setting at a time with the {@code withX} methods.
 *
 * <ul>
 *   <li>{@link #policy()}: how a call picks its server, {@link Policy#ROUND_ROBIN} (the default) or
 *       {@link Policy#LEAST_OUTSTANDING}.</li>
 *   <li>{@link #channelsPerServer()}: how many channels (each a {@link Client}) the cluster keeps to
 *       each server; calls to one server take its channels in turn; default 1.</li>
 *   <li>{@link #clientOptions()}: the settings of every {@link Client} the cluster opens: the connect
 *       timeout of each connect attempt, the reconnect back-off ({@link ClientOptions#reconnectBackoffMin()}
 *       to {@link ClientOptions#reconnectBackoffMax()}), the signal and call listeners. Its
 *       {@link ClientOptions#reconnect()} flag is ignored: the cluster reconnects lost servers itself,
 *       in the background. Default {@link ClientOptions#DEFAULT}.</li>
 *   <li>{@link #retryIdempotent()}: whether a call whose request was sent and whose server was lost
 *       before it answered is sent again to another server; default {@code false} (it fails with the
 *       close reason). Only for calls the server may run twice.</li>
 * </ul>
 *
 * <p>Threads: instances are immutable and safe to share.
 */
public final class ClusterOptions {
    /** How a {@link ClusterClient} picks the server for a call. */
    public enum Policy {
        /**
         * Each call takes the next ready server in turn (gRPC's {@code round_robin}, a JeroMQ DEALER's
         * outgoing routing): equal shares of calls, whatever each server's speed.
         */
        ROUND_ROBIN,
        /**
         * Each call takes the ready server with the fewest calls in flight from this client (ties in
         * turn): a slow or stuck server gets fewer calls, a fast one more.
         */
        LEAST_OUTSTANDING
    }

    /** Round robin, one channel per server, {@link ClientOptions#DEFAULT}, no idempotent retry. */
    public static final ClusterOptions DEFAULT = new ClusterOptions(Policy.ROUND_ROBIN, 1, ClientOptions.DEFAULT, false);

    private final Policy policy;
    private final int channelsPerServer;
    private final ClientOptions clientOptions;
    private final boolean retryIdempotent;

    private ClusterOptions(Policy policy, int channelsPerServer, ClientOptions clientOptions, boolean retryIdempotent) {
        this.policy = policy;
        this.channelsPerServer = channelsPerServer;
        this.clientOptions = clientOptions;
        this.retryIdempotent = retryIdempotent;
    }

    /**
     * Returns how calls pick their server.
     *
     * @return the policy
     */
    public Policy policy() {
        return policy;
    }

    /**
     * Returns how many channels the cluster keeps to each server.
     *
     * @return channels per server, at least 1
     */
    public int channelsPerServer() {
        return channelsPerServer;
    }

    /**
     * Returns the settings of each {@link Client} the cluster opens (see the class comment).
     *
     * @return the client settings
     */
    public ClientOptions clientOptions() {
        return clientOptions;
    }

    /**
     * Returns whether {@link ClusterClient#call(Message, java.time.Duration)} treats every call as
     * idempotent (see {@link ClusterClient#call(Message, java.time.Duration, boolean)}).
     *
     * @return whether sent calls whose server was lost are sent again elsewhere
     */
    public boolean retryIdempotent() {
        return retryIdempotent;
    }

    /**
     * Returns a copy with another policy.
     *
     * @param policy the policy
     * @return a copy with the change
     */
    public ClusterOptions withPolicy(Policy policy) {
        return new ClusterOptions(Objects.requireNonNull(policy, "policy"), channelsPerServer, clientOptions, retryIdempotent);
    }

    /**
     * Returns a copy with another number of channels per server.
     *
     * @param channels at least 1
     * @return a copy with the change
     * @throws IllegalArgumentException if {@code channels < 1}
     */
    public ClusterOptions withChannelsPerServer(int channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("channelsPerServer must be at least 1, got " + channels);
        }
        return new ClusterOptions(policy, channels, clientOptions, retryIdempotent);
    }

    /**
     * Returns a copy with other client settings (connect timeout, back-off, listeners).
     *
     * @param options the settings of every channel's {@link Client}
     * @return a copy with the change
     */
    public ClusterOptions withClientOptions(ClientOptions options) {
        return new ClusterOptions(policy, channelsPerServer, Objects.requireNonNull(options, "options"), retryIdempotent);
    }

    /**
     * Returns a copy that treats every call as idempotent or not (see {@link #retryIdempotent()}).
     *
     * @param retry whether sent calls whose server was lost are sent again to another server
     * @return a copy with the change
     */
    public ClusterOptions withRetryIdempotent(boolean retry) {
        return new ClusterOptions(policy, channelsPerServer, clientOptions, retry);
    }

    @Override
    public String toString() {
        return "ClusterOptions[policy=" + policy + ", channelsPerServer=" + channelsPerServer
                + ", retryIdempotent=" + retryIdempotent + ", " + clientOptions + "]";
    }
}
