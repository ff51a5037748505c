package dev.tofu;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The settings of a {@link Client}; immutable. Start from {@link #DEFAULT} and change one setting at
 * a time with the {@code withX} methods.
 *
 * <ul>
 *   <li>{@link #connectTimeout()}: how long {@link Client#connect} (and each reconnect attempt)
 *       waits for the server's HelloResponse; default 5 s.</li>
 *   <li>{@link #reconnect()}: whether a client whose channel closed reconnects before the next
 *       call; default {@code false}. Calls that were waiting when the channel closed always fail;
 *       a request is never re-sent.</li>
 *   <li>{@link #reconnectBackoffMin()} / {@link #reconnectBackoffMax()}: the wait between failed
 *       reconnect attempts starts at the minimum and doubles up to the maximum; defaults 50 ms and
 *       2 s.</li>
 *   <li>{@link #signalListener()}: receives SIGNALs the server pushes that no streaming call takes;
 *       {@code null} (the default) releases them.</li>
 *   <li>{@link #callListener()}: hears every call start and end, to meter or trace them;
 *       {@code null} (the default) for none.</li>
 * </ul>
 *
 * <p>Threads: instances are immutable and safe to share.
 */
public final class ClientOptions {
    /** Connect timeout 5 s, no reconnect, back-off 50 ms to 2 s, no signal listener. */
    public static final ClientOptions DEFAULT = new ClientOptions(Duration.ofSeconds(5), false,
            Duration.ofMillis(50), Duration.ofSeconds(2), null, null);

    private final Duration connectTimeout;
    private final boolean reconnect;
    private final Duration backoffMin;
    private final Duration backoffMax;
    private final Consumer<Message> signalListener;
    private final CallListener callListener;

    private ClientOptions(Duration connectTimeout, boolean reconnect, Duration backoffMin, Duration backoffMax,
                          Consumer<Message> signalListener, CallListener callListener) {
        this.callListener = callListener;
        this.connectTimeout = connectTimeout;
        this.reconnect = reconnect;
        this.backoffMin = backoffMin;
        this.backoffMax = backoffMax;
        this.signalListener = signalListener;
    }

    /**
     * Returns how long a connect attempt waits for the server's HelloResponse.
     *
     * @return the connect timeout
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Returns whether a closed client reconnects before its next call.
     *
     * @return whether reconnect is on
     */
    public boolean reconnect() {
        return reconnect;
    }

    /**
     * Returns the first wait after a failed reconnect attempt.
     *
     * @return the first back-off
     */
    public Duration reconnectBackoffMin() {
        return backoffMin;
    }

    /**
     * Returns the longest wait between failed reconnect attempts.
     *
     * @return the longest back-off
     */
    public Duration reconnectBackoffMax() {
        return backoffMax;
    }

    /**
     * Returns the listener for pushed SIGNALs, or {@code null}. It runs on the client's receiver
     * thread: keep it short (every response waits behind it) and do not call the client's blocking
     * methods from it. The message belongs to the client, which releases it when the listener
     * returns; copy what you need.
     * @return the listener, or {@code null}
     */
    public Consumer<Message> signalListener() {
        return signalListener;
    }

    /**
     * Returns a copy with another connect timeout.
     *
     * @param timeout positive
     * @return a copy with the change
     * @throws IllegalArgumentException if not positive
     */
    public ClientOptions withConnectTimeout(Duration timeout) {
        return new ClientOptions(positive(timeout, "connectTimeout"), reconnect, backoffMin, backoffMax, signalListener, callListener);
    }

    /**
     * Returns a copy with automatic reconnect switched on or off.
     *
     * @param reconnect whether to reconnect
     * @return a copy with the change
     */
    public ClientOptions withReconnect(boolean reconnect) {
        return new ClientOptions(connectTimeout, reconnect, backoffMin, backoffMax, signalListener, callListener);
    }

    /**
     * Returns a copy with another reconnect back-off.
     *
     * @param min first wait after a failed attempt, positive
     * @param max longest wait, at least {@code min}
     * @return a copy with the change
     * @throws IllegalArgumentException if {@code min} is not positive or {@code max < min}
     */
    public ClientOptions withReconnectBackoff(Duration min, Duration max) {
        positive(min, "min");
        Objects.requireNonNull(max, "max");
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("backoff max " + max + " < min " + min);
        }
        return new ClientOptions(connectTimeout, reconnect, min, max, signalListener, callListener);
    }

    /**
     * Returns a copy with another listener for pushed SIGNALs ({@code null} releases them).
     *
     * @param listener the listener, or {@code null}
     * @return a copy with the change
     * @see #signalListener()
     */
    public ClientOptions withSignalListener(Consumer<Message> listener) {
        return new ClientOptions(connectTimeout, reconnect, backoffMin, backoffMax, listener, callListener);
    }

    /**
     * Returns the listener that hears every call's start and end, or {@code null}.
     *
     * @return the call listener, or {@code null}
     * @see CallListener
     */
    public CallListener callListener() {
        return callListener;
    }

    /**
     * Returns a copy with another call listener ({@code null} for none). It runs on the calling
     * thread of each call; see {@link CallListener}.
     *
     * @param listener the listener, or {@code null}
     * @return a copy with the change
     */
    public ClientOptions withCallListener(CallListener listener) {
        return new ClientOptions(connectTimeout, reconnect, backoffMin, backoffMax, signalListener, listener);
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        return d;
    }

    @Override
    public String toString() {
        return "ClientOptions[connectTimeout=" + connectTimeout + ", reconnect=" + reconnect
                + ", backoff=" + backoffMin + ".." + backoffMax
                + ", signalListener=" + (signalListener != null) + ", callListener=" + (callListener != null) + "]";
    }
}
