package dev.tofu;

import dev.tofu.internal.rpc.CallMetrics;
import dev.tofu.internal.rpc.ClientConnection;
import dev.tofu.internal.rpc.PendingCall;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Blocking request/response over one connected channel (PROTOCOL.md §7 R20 as a library): any
 * number of threads, virtual or platform, call {@link #call(Message, Duration)} at once and each
 * gets the RESPONSE that carries its own message id.
 *
 * <pre>{@code
 * try (Client client = Client.connect(reactor, Address.tcpClient("127.0.0.1", 7099))) {
 *     Message req = client.newMessage();
 *     req.body().append("ping".getBytes(UTF_8));
 *     try (Message resp = client.call(req, Duration.ofSeconds(1))) {
 *         ... resp.body() ...
 *     }
 * }
 * }</pre>
 *
 * <p><b>How it works.</b> The client owns a {@link ChannelGroup} with one channel and one receiver
 * virtual thread, named {@code tofu-client-<channel>-receiver}, which is the group's only
 * {@link ChannelGroup#waitReceive} caller. A call registers itself under its message id, posts its
 * request and parks (on a {@link java.util.concurrent.locks.ReentrantLock} condition; nothing here
 * uses {@code synchronized}, so virtual threads never pin their carrier); the receiver hands each
 * RESPONSE to the call with the same id. Message ids come from a counter of this client, starting
 * at 1, so a response can only ever match the call that asked for it.
 *
 * <p><b>Ownership.</b> Every method that takes a message consumes it: after the method returns
 * <em>or throws</em> the caller must not use it again (it was posted, or released to the pool).
 * Messages the client returns (responses, parts) belong to the caller, who closes them
 * ({@link Message#close()}) or reuses them. Build requests with {@link #newMessage()}.
 *
 * <p><b>Sizes.</b> A request body larger than 65535 bytes is sent as several frames linked by
 * {@code more}; a {@link Server} joins them again. A response that arrives as several parts is
 * returned by {@link #call(Message, Duration)} as one message (see there).
 *
 * <p><b>Errors.</b> Each kind of failure has its own type, so a caller can catch each:
 * <ul>
 *   <li>{@link TofuRemoteException}: the server's handler threw. The server answered with a RESPONSE
 *       carrying the text header {@code ~error:<ExceptionClass>: <message>}, which becomes
 *       {@link TofuRemoteException#remoteClass()} and {@link TofuRemoteException#remoteMessage()}.</li>
 *   <li>{@link TofuTimeoutException}: no response in time. The channel stays usable; the response
 *       that arrives late is released and counted by {@link #lateResponses()}.</li>
 *   <li>{@link TofuInterruptedException}: the calling thread was interrupted (before sending, or while
 *       waiting). The call ends at once and the thread's interrupt flag stays set; the channel stays
 *       usable and a response that comes later is counted late.</li>
 *   <li>{@link TofuDrainingException}: the server is stopping gracefully (it sent its {@code ~drain}
 *       Signal, see {@link Server#stop(Duration)}); the request was not sent.</li>
 *   <li>a plain {@link TofuException} with the close reason: the channel closed (peer lost, server
 *       stopped, {@link #close()}); every waiting call wakes at once. A request the engine returned
 *       unsent is released and its caller gets the status the engine stamped on it.</li>
 * </ul>
 *
 * <p><b>Drain.</b> When the server starts a graceful stop it sends a Signal with the text header
 * {@code ~drain}. From then on this client sends no new request on that channel (new calls throw
 * {@link TofuDrainingException} at once and are never posted) and answers with a {@code ~drain:ack}
 * Signal; requests sent before are answered normally; then the server closes the channel with a
 * ByeRequest. {@link #isDraining()} tells whether this happened. One-way SIGNALs
 * ({@link #send(Message)}) are still sent while the channel drains.
 *
 * <p><b>Observability.</b> {@link #stats()} counts calls (started, succeeded, failed, timed out,
 * refused, in flight, late responses) and summarises call latency; a
 * {@link ClientOptions#withCallListener(CallListener) CallListener} hears every call; each call is a
 * JFR event {@code dev.tofu.RpcCall}.
 *
 * <p><b>Reconnect.</b> Off by default. With {@link ClientOptions#withReconnect(boolean)}, a call
 * made after the channel closed first opens a new channel (with back-off between failed attempts,
 * bounded by the call's timeout). Calls that were waiting when the channel closed always fail: a
 * request is never sent twice.
 *
 * <p><b>Threads.</b> Every method is safe from any thread. Callbacks (the signal listener) run on
 * the receiver thread; {@code onPart} callbacks and the {@link CallListener} run on the calling
 * thread.
 */
public final class Client implements AutoCloseable {
    private final Ampe ampe;
    private final Address address;
    private final ClientOptions options;
    private final AtomicLong ids = new AtomicLong();
    private final CallMetrics metrics;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReentrantLock reconnectLock = new ReentrantLock();
    private volatile ClientConnection connection;
    private long backoffNanos;   // guarded by reconnectLock
    private long nextAttemptAt;  // guarded by reconnectLock; System.nanoTime() scale
    private boolean attemptFailed; // guarded by reconnectLock

    private Client(Reactor reactor, Address address, ClientOptions options) {
        this.ampe = reactor.ampe();
        this.address = address;
        this.options = options;
        this.metrics = new CallMetrics(false, options.callListener());
        this.backoffNanos = options.reconnectBackoffMin().toNanos();
        this.connection = openConnection(options.connectTimeout());
    }

    /**
     * Connects with {@link ClientOptions#DEFAULT}.
     *
     * @param address where to connect or listen
     * @param reactor the engine that runs the channel(s)
     * @return the connected client
     * @see #connect(Reactor, Address, ClientOptions)
     */
    public static Client connect(Reactor reactor, Address address) {
        return connect(reactor, address, ClientOptions.DEFAULT);
    }

    /**
     * Opens a channel to {@code address} and waits for the server's HelloResponse. Blocks the
     * calling thread for at most {@link ClientOptions#connectTimeout()}.
     *
     * @param reactor the engine that runs the channel
     * @param address a client address ({@link Address#tcpClient}, {@link Address#udsClient})
     * @param options client settings
     * @return the connected client
     * @throws TofuTimeoutException no HelloResponse within the connect timeout (the channel is
     *                              closed with a ByeSignal)
     * @throws TofuInterruptedException the calling thread was interrupted before or while waiting
     *                              (the interrupt flag is kept; the channel is closed)
     * @throws TofuException        the engine's status ({@link Status#CONNECT_FAILED},
     *                              {@link Status#INVALID_ADDRESS}, {@link Status#UDS_PATH_NOT_FOUND},
     *                              ...); {@link Status#CHANNEL_CLOSED} with the server's reason when it
     *                              rejected the connection with a ByeResponse (PROTOCOL.md §5.5.4),
     *                              {@link Status#PEER_DISCONNECTED} when it dropped it. Nothing is left
     *                              behind on failure.
     */
    public static Client connect(Reactor reactor, Address address, ClientOptions options) {
        Objects.requireNonNull(reactor, "reactor");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(options, "options");
        if (address.isServer()) {
            throw new IllegalArgumentException("connect needs a client address, got the server address " + address.value());
        }
        return new Client(reactor, address, options);
    }

    /**
     * Returns a cleared message owned by the caller ({@code ampe.get(ALWAYS)}), to build a request.
     *
     * @return a cleared message owned by the caller
     */
    public Message newMessage() {
        return ampe.get(AllocationStrategy.ALWAYS);
    }

    /**
     * Sends {@code request} as a REQUEST and blocks until the RESPONSE with its message id arrives.
     *
     * <p>The client sets the opcode and the channel. A message id of 0 is replaced by the next id
     * of this client's counter; an explicit id must not be pending on this client. If the response
     * comes as several parts linked by {@code more}, this returns <em>one</em> message: the first
     * part, with the bodies of the others appended in order and {@code more} cleared (its text
     * headers are the first part's). Progress SIGNALs with the call's id go to
     * {@link ClientOptions#signalListener()} (or are released).
     *
     * @param request the request, consumed (posted or released) whether the call succeeds or not
     * @param timeout how long to wait for the whole response
     * @return the response, owned by the caller
     * @throws TofuTimeoutException     no complete response within {@code timeout}
     * @throws TofuRemoteException      the server's handler failed (its exception's class and message)
     * @throws TofuInterruptedException the calling thread was interrupted (flag kept)
     * @throws TofuDrainingException    the server is draining; the request was not sent
     * @throws TofuException            the channel closed (the close reason), or the post failed (its
     *                                  status)
     * @throws IllegalArgumentException the request's explicit message id is already pending
     */
    public Message call(Message request, Duration timeout) {
        Objects.requireNonNull(request, "request");
        return call(List.of(request), timeout);
    }

    /**
     * Sends a request made of several parts (all get the same message id and opcode REQUEST;
     * {@code more} is set on every part but the last) and blocks for the response, exactly as
     * {@link #call(Message, Duration)}. A {@link Server} joins the parts into one request. The
     * message id is taken from the first part (0 = assign one).
     *
     * @param requestParts the parts in order, at least one, all consumed
     * @param timeout how long to wait; an overall deadline
     * @return the response, owned by the caller
     */
    public Message call(List<Message> requestParts, Duration timeout) {
        List<Message> parts = List.copyOf(requestParts);
        Objects.requireNonNull(timeout, "timeout");
        long deadline = PendingCall.deadline(timeout);
        return connection(deadline, parts, true).call(parts, deadline, timeout);
    }

    /**
     * Sends {@code request} and delivers each part of the response to {@code onPart} on the calling
     * thread, as it arrives; returns after the last part (a RESPONSE without {@code more}). Progress
     * SIGNALs with the call's id reach {@code onPart} too (their opcode is {@link OpCode#SIGNAL}).
     *
     * <p>Each part belongs to the client: it is released as soon as {@code onPart} returns, so copy
     * what you need and do not keep or post the message. If {@code onPart} throws, the call is
     * abandoned (later parts are released and counted late) and the exception propagates.
     *
     * @param timeout overall deadline for the whole response
     * @param onPart receives each part on the calling thread
     * @param request the request, consumed whether the call succeeds or not
     * @throws TofuTimeoutException the last part did not arrive within {@code timeout}
     * @throws TofuException        as {@link #call(Message, Duration)}
     */
    public void call(Message request, Duration timeout, Consumer<Message> onPart) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(onPart, "onPart");
        long deadline = PendingCall.deadline(timeout);
        connection(deadline, List.of(request), true).call(request, deadline, timeout, onPart);
    }

    /**
     * Sends {@code request} and returns the parts of the response as an iterator:
     * {@link Iterator#hasNext()} blocks until the next part arrives, and is false after the last
     * RESPONSE part. Progress SIGNALs with the call's id are returned too (opcode
     * {@link OpCode#SIGNAL}). The caller owns every part it takes and must close it.
     *
     * <p>{@code timeout} is an overall deadline: {@link Iterator#hasNext()} throws
     * {@link TofuTimeoutException} once it passed, and throws the failure of the call as
     * {@link #call(Message, Duration)} would. Use the iterator from one thread; iterate it to the end
     * (or until it throws), since parts not taken stay in memory until the response completes.
     * @param request the request, consumed whether the call succeeds or not
     * @param timeout how long to wait; an overall deadline
     * @return the parts, in arrival order
     */
    public Iterator<Message> stream(Message request, Duration timeout) {
        Objects.requireNonNull(request, "request");
        long deadline = PendingCall.deadline(timeout);
        return connection(deadline, List.of(request), true).stream(request, deadline, timeout);
    }

    /**
     * Sends a one-way SIGNAL on the channel (no answer is expected). Consumes {@code signal}.
     *
     * @param signal the SIGNAL, consumed
     * @throws TofuException the channel is closed (the close reason) or the post failed
     */
    public void send(Message signal) {
        Objects.requireNonNull(signal, "signal");
        long deadline = PendingCall.deadline(options.connectTimeout());
        connection(deadline, List.of(signal), false).send(signal);
    }

    /**
     * Returns the current channel number (a new one after a reconnect).
     *
     * @return the channel number
     */
    public int channel() {
        return connection.channel();
    }

    /**
     * Returns whether the channel is open and the client not closed.
     *
     * @return whether the channel is open
     */
    public boolean isOpen() {
        return !closed.get() && connection.isOpen();
    }

    /**
     * Returns how many responses arrived after their call had given up (timed out or failed).
     *
     * @return the number of late responses
     */
    public long lateResponses() {
        return metrics.lateCount();
    }

    /**
     * Returns whether the server told this client's current channel that it is draining (see the
     * class comment): new calls on it fail with {@link TofuDrainingException}.
     *
     * @return whether the current channel is draining
     */
    public boolean isDraining() {
        return connection.isDraining();
    }

    /**
     * Returns a snapshot of this client's counters since it was created (across reconnects).
     * Cheap; safe from any thread.
     *
     * @return a new snapshot
     */
    public ClientStats stats() {
        long started = metrics.started();
        long succeeded = metrics.succeeded();
        long failed = metrics.failed();
        return new ClientStats(started, succeeded, failed, metrics.timedOut(), metrics.refusedCount(),
                Math.max(0, started - succeeded - failed), metrics.lateCount(), metrics.latency());
    }

    /**
     * Closes the client gracefully: every waiting call fails at once with
     * {@link Status#SHUTDOWN_STARTED}; a ByeRequest is sent and the server's answer awaited for at
     * most 2 s; then the group is destroyed and the receiver thread ends. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        reconnectLock.lock(); // no reconnect may start after this point
        try {
            connection.close();
        } finally {
            reconnectLock.unlock();
        }
    }

    /** Why the current channel closed, as a call on it would throw it (meaningful once closed); for {@link ClusterClient}. */
    TofuException closeReason() {
        return closed.get() ? new TofuException(Status.SHUTDOWN_STARTED, "the client is closed") : connection.closedException();
    }

    @Override
    public String toString() {
        return "Client[" + address.value() + " ch=" + connection.channel() + (isOpen() ? " open" : " closed") + "]";
    }

    // ---- connection and reconnect ----------------------------------------------------------------

    private ClientConnection openConnection(Duration timeout) {
        return ClientConnection.open(ampe, address, timeout, ids, metrics, options.signalListener());
    }

    /** The open connection; reconnects first if allowed. On failure releases {@code consumed} (a refused call if {@code call}). */
    private ClientConnection connection(long deadline, List<Message> consumed, boolean call) {
        ClientConnection c = connection;
        if (c.isOpen()) {
            return c;
        }
        try {
            return reconnect(c, deadline);
        } catch (RuntimeException e) {
            consumed.forEach(Message::close);
            if (call) {
                metrics.refused();
            }
            throw e;
        }
    }

    private ClientConnection reconnect(ClientConnection dead, long deadline) {
        if (closed.get()) {
            throw new TofuException(Status.SHUTDOWN_STARTED, "the client is closed");
        }
        if (!options.reconnect()) {
            throw dead.closedException();
        }
        try {
            if (!reconnectLock.tryLock(PendingCall.remaining(deadline), TimeUnit.NANOSECONDS)) {
                throw new TofuTimeoutException("no connection to " + address.value() + " in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TofuInterruptedException("interrupted while reconnecting to " + address.value());
        }
        try {
            if (closed.get()) {
                throw new TofuException(Status.SHUTDOWN_STARTED, "the client is closed");
            }
            ClientConnection c = connection;
            if (c.isOpen()) {
                return c; // another caller reconnected meanwhile
            }
            c.abort(); // joins the old receiver; its group is gone
            List<TofuException> errors = new ArrayList<>(1);
            while (true) {
                if (attemptFailed) {
                    long wait = nextAttemptAt - System.nanoTime();
                    if (wait > 0) {
                        if (wait > PendingCall.remaining(deadline)) {
                            throw errors.isEmpty()
                                    ? new TofuTimeoutException("no connection to " + address.value() + " in time (backing off)")
                                    : errors.get(0);
                        }
                        LockSupport.parkNanos(wait);
                        if (Thread.currentThread().isInterrupted()) {
                            throw new TofuInterruptedException("interrupted while reconnecting to " + address.value());
                        }
                        continue;
                    }
                }
                long left = PendingCall.remaining(deadline);
                if (left == 0) {
                    throw errors.isEmpty() ? new TofuTimeoutException("no connection to " + address.value() + " in time") : errors.get(0);
                }
                try {
                    ClientConnection n = openConnection(Duration.ofNanos(Math.min(left, options.connectTimeout().toNanos())));
                    connection = n;
                    attemptFailed = false;
                    backoffNanos = options.reconnectBackoffMin().toNanos();
                    return n;
                } catch (TofuException e) {
                    errors.clear();
                    errors.add(e);
                    attemptFailed = true;
                    nextAttemptAt = System.nanoTime() + backoffNanos;
                    backoffNanos = Math.min(backoffNanos * 2, options.reconnectBackoffMax().toNanos());
                }
            }
        } finally {
            reconnectLock.unlock();
        }
    }
}
