package dev.tofu;

import dev.tofu.internal.rpc.ServerCore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A request/response server over tofu channels: listens on one or more addresses (TCP and
 * Unix-domain at once), accepts clients, and runs a handler for each REQUEST on a virtual thread of
 * its own, so a slow handler never holds up other requests or other clients.
 *
 * <pre>{@code
 * try (Server server = Server.builder(reactor)
 *         .listen(Address.tcpServer("127.0.0.1", 7099))
 *         .onRequest(request -> request)          // echo: reuse the request as the response
 *         .start()) {
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Requests.</b> A request that arrives as several parts linked by {@code more} is joined into
 * one message (bodies concatenated in order, text headers of the first part) before the handler
 * sees it. A {@link RequestHandler} returns the response; the server sets its opcode (RESPONSE),
 * channel and message id, and sends a body larger than 65535 bytes as several parts linked by
 * {@code more} (a {@link Client} joins them again). A {@link StreamingHandler} writes the parts
 * itself through a {@link Responder}.
 *
 * <p><b>Errors.</b> If a handler throws, the server answers with a RESPONSE carrying the request's
 * message id, an empty body and the text header {@code ~error:<ExceptionClass>: <message>} (CR and
 * LF removed, cut to 1000 characters), and keeps serving. {@link Client} turns that response into a
 * {@link TofuRemoteException} (status {@link Status#PROCESSING_FAILED}) with the class and message.
 *
 * <p><b>Push and connections.</b> {@link Builder#onConnected} and {@link Builder#onDisconnected} run
 * with the channel of each client that connects (after its HelloResponse was sent) or goes away;
 * {@link #channels()} lists the connected clients, {@link #send(int, Message)} pushes a SIGNAL to one
 * and {@link #broadcast(Message)} to all. Code that runs for the server (handlers, hooks, callbacks)
 * finds it with {@link #current()}.
 *
 * <p><b>Observability.</b> {@link #stats()} counts handled requests (started, succeeded, failed, in
 * flight, responses dropped) and summarises handler latency; a
 * {@link Builder#callListener(CallListener) CallListener} hears every handled request; each is a JFR
 * event {@code dev.tofu.RpcRequest}.
 *
 * <p><b>Pool size.</b> Every request running or waiting holds a pooled message, and the channels'
 * readers take only idle pooled messages for what arrives meanwhile (a reader never creates one: with
 * none idle it sends a {@code pool_empty} notice and waits for a message to be put back). A reactor whose
 * {@link Options#initialPoolMsgs()} or {@link Options#maxPoolMsgs()} is below
 * {@code maxConcurrency + 64} makes a busy server stall (readers wait for pooled messages; new
 * clients wait to connect), so {@link Builder#start()} logs a WARN (once per process) for it. Give
 * a busy server its own reactor with {@code Options.of(maxConcurrency + 64, maxConcurrency + 64)}
 * or more, or lower {@link Builder#maxConcurrency(int)}.
 *
 * <p><b>Back-pressure.</b> At most {@link Builder#maxConcurrencyPerChannel(int)} handlers run at a
 * time for one channel; further requests of that channel wait in its backlog. When the requests
 * running or waiting reach {@link Builder#maxConcurrency(int)} the server stops reading its
 * channels until one completes, so the engine's queue fills and TCP flow control slows the
 * clients. No request is dropped.
 *
 * <p><b>Connect and reject.</b> A HelloRequest is answered with a HelloResponse, unless the
 * {@link ConnectHook} returns a reason: then the server answers with a ByeResponse carrying the
 * text header {@code ~reason:<text>} (PROTOCOL.md §5.5.4) and the client's connect fails with that
 * reason. A client's ByeRequest is answered with a ByeResponse.
 *
 * <p><b>Threads.</b> One dispatcher virtual thread ({@code tofu-server-dispatcher}) is the only
 * reader of the server's {@link ChannelGroup}; it runs the {@link ConnectHook}, the
 * {@link SignalHandler} and the connection callbacks itself (keep them short). Each request runs on a
 * handler virtual thread named {@code tofu-server-handler}, which has it to itself until the handler
 * returns. Handler threads are reused, like the threads of a pool: when one finishes, it takes the
 * next request waiting for its channel or parks until the server hands it a new one (as many
 * stay parked as requests may run at once, {@code maxConcurrency}, at most 16,384; stop and abort end
 * them all). So a request costs a thread wake-up, not a new thread. A
 * handler thread starts each request with its interrupt flag cleared and with {@link #current()}
 * set, but thread-locals a handler sets stay on the thread for later requests: do not rely on them
 * being fresh. A one-frame request is handed to its handler thread by the thread that read it from
 * the socket, without passing through the dispatcher. Every public method is safe from any thread.
 * Nothing uses {@code synchronized}.
 *
 * <p><b>Ownership.</b> The server owns the request it passes to a handler; the handler may read it,
 * change it and return it (or send it through the {@link Responder}) as its response, but must not
 * close, put or keep it: the server releases it after the handler returns. Every message a handler
 * returns or sends is consumed by the server.
 */
public final class Server implements AutoCloseable {
    /** Default limit of requests running or waiting in the whole server. */
    public static final int DEFAULT_MAX_CONCURRENCY = 1024;
    /** Default limit of handlers running at once for one channel. */
    public static final int DEFAULT_MAX_CONCURRENCY_PER_CHANNEL = 64;

    /**
     * Answers one request with one response. Runs on a handler virtual thread that has the request to
     * itself until the handler returns (see <b>Threads</b> above).
     */
    @FunctionalInterface
    public interface RequestHandler {
        /**
         * Handles a request.
         *
         * @param request the whole request (parts joined), owned by the server: read it, or change and
         *                return it as the response; never close or keep it
         * @return the response (the request itself, or a new message, for example from
         *         {@code reactor.ampe().get(ALWAYS)}); {@code null} answers with an empty response
         * @throws Exception answered with an {@code ~error} response (see {@link Server})
         */
        Message handle(Message request) throws Exception;
    }

    /**
     * Answers one request with several parts and, optionally, progress SIGNALs. Runs on a handler
     * virtual thread that has the request to itself until the handler returns.
     */
    @FunctionalInterface
    public interface StreamingHandler {
        /**
         * Handles a request. If it returns without sending a last part ({@code more == false}), the
         * server sends an empty last part.
         *
         * @param request the whole request, owned by the server (it may be sent as a part)
         * @param out     where the parts go; valid on this thread until this method returns
         * @throws Exception answered with an {@code ~error} last part, unless the last part was sent
         */
        void handle(Message request, Responder out) throws Exception;
    }

    /**
     * The output of a {@link StreamingHandler}: parts of the response and progress SIGNALs, all with
     * the request's message id, on the request's channel. Use it from the handler's thread only,
     * and only until the handler returns.
     */
    public interface Responder {
        /**
         * Returns a cleared message owned by the caller, to fill and send.
         *
         * @return a cleared message owned by the caller
         */
        Message newMessage();

        /**
         * Sends one part of the response (a RESPONSE with the request's id); {@code more == false}
         * marks the last part, after which nothing more may be sent. A body over 65535 bytes is split.
         * Consumes {@code part} (posted, or released on failure).
         *
         * @param more whether more parts follow
         * @param part the part, consumed
         * @throws TofuException         the channel closed or the post failed
         * @throws IllegalStateException the last part was already sent
         */
        void send(Message part, boolean more);

        /**
         * Sends a progress SIGNAL with the request's id; a {@link Client} hands it to the caller
         * of the pending call. Consumes {@code signal}.
         *
         * @param signal the SIGNAL, consumed
         * @throws TofuException         the channel closed or the post failed
         * @throws IllegalStateException the last part was already sent
         */
        void progress(Message signal);
    }

    /** Receives the SIGNALs clients send. Runs on the dispatcher thread: keep it short. */
    @FunctionalInterface
    public interface SignalHandler {
        /**
         * Handles a signal. The server releases it when this returns; copy what you need.
         * {@link Message#channel()} tells the client ({@link Server#send(int, Message)} answers it).
         *
         * @param signal the SIGNAL, consumed
         * @throws Exception logged and otherwise ignored
         */
        void handle(Message signal) throws Exception;
    }

    /**
     * Hears a client channel connect or go away ({@link Builder#onConnected}, {@link Builder#onDisconnected}).
     * Runs on the dispatcher thread: keep it short (pushing a SIGNAL with {@link Server#send} is fine).
     */
    @FunctionalInterface
    public interface ChannelCallback {
        /**
         * Handles the event.
         *
         * @param server  the server
         * @param channel the client channel
         * @throws Exception logged and otherwise ignored
         */
        void accept(Server server, int channel) throws Exception;
    }

    /** Decides whether to accept a client. Runs on the dispatcher thread: keep it short. */
    @FunctionalInterface
    public interface ConnectHook {
        /**
         * Decides about a client's HelloRequest (read it, do not keep it).
         *
         * @return {@code null} to accept, or the reason to reject (sent in the {@code ~reason} header)
         * @param helloRequest the client's HelloRequest
         */
        String reject(Message helloRequest);
    }

    private final ServerCore core;

    private Server(ServerCore core) {
        this.core = core;
        core.begin(this);
    }

    /**
     * Returns the server whose handler, hook or callback runs on the calling thread: a
     * {@link RequestHandler} or {@link StreamingHandler} (on its request's thread), a
     * {@link ConnectHook}, {@link SignalHandler} or {@link ChannelCallback} (on the dispatcher).
     * Handlers are written before their server exists; this is how they reach it, for example to
     * remember {@code request.channel()} and later {@link #send(int, Message) push} to it.
     *
     * @return the server running the calling code
     * @throws IllegalStateException the calling thread is not one of a server's (threads a handler
     *                               starts itself do not inherit it)
     */
    public static Server current() {
        Server s = ServerCore.current();
        if (s == null) {
            throw new IllegalStateException("Server.current() is only available on a server's handler or dispatcher thread");
        }
        return s;
    }

    /**
     * Starts building a server on {@code reactor}.
     *
     * @param reactor the engine that runs the server's channels
     * @return a new builder
     */
    public static Builder builder(Reactor reactor) {
        return new Builder(Objects.requireNonNull(reactor, "reactor"));
    }

    /**
     * Returns the client addresses of the listeners, in {@link Builder#listen} order: the real
     * bound address (port chosen by the system for port 0, the generated path for an empty UDS
     * path), ready for {@link Client#connect(Reactor, Address)}.
     * @return the client addresses of the listeners
     */
    public List<Address> addresses() {
        return core.addresses();
    }

    /**
     * Pushes a one-way SIGNAL to the client on {@code channel} (the channel of a request or signal
     * the server received). Consumes {@code signal}. A message id of 0 gets one from the upper half
     * of the unsigned range, which never matches a {@link Client}'s call ids (those count up from 1),
     * so the client hands it to its signal listener; to send progress for a request use
     * {@link Responder#progress(Message)} instead.
     *
     * @param channel the client channel
     * @param signal the SIGNAL, consumed
     * @throws TofuException the channel is closed or the post failed
     */
    public void send(int channel, Message signal) {
        core.send(channel, Objects.requireNonNull(signal, "signal"));
    }

    /**
     * Sends a copy of {@code signal} to every connected client (see {@link #send(int, Message)}) and
     * consumes it. A client that disconnects meanwhile is skipped.
     *
     * @param signal the SIGNAL, consumed
     * @return how many clients it was posted to
     */
    public int broadcast(Message signal) {
        return core.broadcast(Objects.requireNonNull(signal, "signal"));
    }

    /**
     * Returns the channels of the clients connected now (HelloRequest accepted, channel not closed),
     * in ascending order. A snapshot: a client may connect or leave right after.
     *
     * @return the connected client channels
     */
    public List<Integer> channels() {
        return core.channels();
    }

    /**
     * Returns a snapshot of this server's counters. Cheap; safe from any thread.
     *
     * @return a new snapshot
     */
    public ServerStats stats() {
        return core.stats();
    }

    /**
     * Returns a cleared message owned by the caller ({@code ampe.get(ALWAYS)}).
     *
     * @return a cleared message owned by the caller
     */
    public Message newMessage() {
        return core.newMessage();
    }

    /**
     * Returns whether the server is running: not stopping or stopped, and its reactor not closed
     * (a server whose reactor was closed under it reports {@code false}, so a health check sees it).
     *
     * @return whether the server is running
     */
    public boolean isRunning() {
        return core.isRunning();
    }

    /**
     * Stops gracefully, draining the clients first (gRPC's GOAWAY is the model):
     * <ol>
     *   <li>the listeners close (no new client) and {@link #isRunning()} turns false;</li>
     *   <li>every client channel gets a SIGNAL with the text header {@code ~drain:<milliseconds left>}
     *       (and a message id from the upper half of the unsigned range). A {@link Client} then sends
     *       no new request on that channel (new calls fail at once with {@link TofuDrainingException},
     *       never sent) and answers with a SIGNAL carrying {@code ~drain:ack}, which reaches the server
     *       after every request the client sent before it;</li>
     *   <li>requests already received keep running (and waiting ones still start) until every request
     *       is answered and every client acknowledged, or {@code deadline} passes; a raw-API client that
     *       never answers the drain keeps the server waiting until the deadline;</li>
     *   <li>every client gets a ByeRequest; the server waits for their channels to close (at most 2 s,
     *       and not past the deadline unless that leaves less than 100 ms);</li>
     *   <li>the group is destroyed; handlers still running are interrupted, given 250 ms, and their
     *       responses dropped.</li>
     * </ol>
     * Blocks until done; idempotent. If the calling thread is interrupted, it skips the waits (the
     * flag is kept). Call it from a thread of your own, not from a handler or callback of this
     * server: a handler counts as a running request, and the dispatcher must keep reading the
     * clients' acknowledgements, so either would hold the stop until the deadline.
     *
     * @param deadline how long running requests may take to finish
     */
    public void stop(Duration deadline) {
        core.stop(Objects.requireNonNull(deadline, "deadline"));
    }

    /**
     * Stops at once: every listener and client channel is closed with a ByeSignal (clients see a
     * disconnect), the group is destroyed, running handlers are interrupted and their responses
     * dropped. Returns promptly: handlers that ignore their interrupt get 250 ms in all, then are left
     * to end on their own (a WARN says how many). Idempotent.
     */
    public void abort() {
        core.abort();
    }

    /** {@link #stop(Duration) stop(5 s)}. */
    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    @Override
    public String toString() {
        return "Server" + addresses() + (isRunning() ? " running" : " stopped");
    }

    /**
     * Collects the settings of a {@link Server}. Not thread-safe; {@link #start()} may be called
     * once.
     */
    public static final class Builder {
        private final Reactor reactor;
        private final List<Address> addresses = new ArrayList<>();
        private RequestHandler requestHandler;
        private StreamingHandler streamingHandler;
        private SignalHandler signalHandler;
        private ConnectHook connectHook;
        private ChannelCallback onConnected;
        private ChannelCallback onDisconnected;
        private CallListener callListener;
        private int maxConcurrency = DEFAULT_MAX_CONCURRENCY;
        private int maxConcurrencyPerChannel = DEFAULT_MAX_CONCURRENCY_PER_CHANNEL;

        private Builder(Reactor reactor) {
            this.reactor = reactor;
        }

        /**
         * Adds a listener (repeatable; TCP and UDS may be mixed). Port 0 and an empty UDS path let
         * the system choose; {@link Server#addresses()} tells the result.
         *
         * @param address a server address ({@link Address#tcpServer}, {@link Address#udsServer})
         * @return this builder
         */
        public Builder listen(Address address) {
            Objects.requireNonNull(address, "address");
            if (!address.isServer()) {
                throw new IllegalArgumentException("listen needs a server address, got the client address " + address.value());
            }
            addresses.add(address);
            return this;
        }

        /**
         * Sets the handler that answers each request with one response (replaces {@link #onStream}).
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder onRequest(RequestHandler handler) {
            this.requestHandler = Objects.requireNonNull(handler, "handler");
            this.streamingHandler = null;
            return this;
        }

        /**
         * Sets the handler that answers each request with several parts (replaces {@link #onRequest}).
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder onStream(StreamingHandler handler) {
            this.streamingHandler = Objects.requireNonNull(handler, "handler");
            this.requestHandler = null;
            return this;
        }

        /**
         * Sets the handler for SIGNALs from clients (default: released).
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder onSignal(SignalHandler handler) {
            this.signalHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Sets the hook that may reject connecting clients (default: accept all).
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder onConnect(ConnectHook hook) {
            this.connectHook = Objects.requireNonNull(hook, "hook");
            return this;
        }

        /**
         * Sets the callback that runs when a client has connected: after its HelloResponse was
         * posted, so a SIGNAL pushed from here reaches the client after its connect completed.
         *
         * @param callback the callback
         * @return this builder
         */
        public Builder onConnected(ChannelCallback callback) {
            this.onConnected = Objects.requireNonNull(callback, "callback");
            return this;
        }

        /**
         * Sets the callback that runs when a connected client's channel has closed (the client left,
         * was lost, or was closed by {@link Server#stop}). Not called for channels still open when the
         * server's group is destroyed ({@link Server#abort()}, a closed reactor).
         *
         * @param callback the callback
         * @return this builder
         */
        public Builder onDisconnected(ChannelCallback callback) {
            this.onDisconnected = Objects.requireNonNull(callback, "callback");
            return this;
        }

        /**
         * Sets the listener that hears every handled request, on its handler thread (see
         * {@link CallListener}).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder callListener(CallListener listener) {
            this.callListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Sets how many requests may be running or waiting in the whole server (default 1024);
         * beyond it the server stops reading until one completes.
         *
         * @param max at least 1
         * @return this builder
         */
        public Builder maxConcurrency(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConcurrency must be >= 1, got " + max);
            }
            this.maxConcurrency = max;
            return this;
        }

        /**
         * Sets how many handlers may run at once for one channel (default 64); further requests of
         * that channel wait in its backlog, in arrival order.
         *
         * @param max at least 1
         * @return this builder
         */
        public Builder maxConcurrencyPerChannel(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConcurrencyPerChannel must be >= 1, got " + max);
            }
            this.maxConcurrencyPerChannel = max;
            return this;
        }

        /**
         * Starts every listener and waits for each to answer, then starts the dispatcher. Logs a WARN
         * (once per process) when the reactor's initial or maximum pool is smaller than
         * {@code maxConcurrency + 64} (see {@link Server}, "Pool size").
         *
         * @return the running server
         * @throws IllegalStateException no listen address, or no handler
         * @throws TofuException         a listener failed: the status of its WelcomeResponse
         *                               ({@link Status#LISTEN_FAILED}, {@link Status#INVALID_ADDRESS});
         *                               everything started is closed again
         */
        public Server start() {
            if (addresses.isEmpty()) {
                throw new IllegalStateException("no listen address");
            }
            if (requestHandler == null && streamingHandler == null) {
                throw new IllegalStateException("no handler: call onRequest or onStream");
            }
            Options o = reactor.options();
            return new Server(ServerCore.start(reactor.ampe(), o.initialPoolMsgs(), o.maxPoolMsgs(), List.copyOf(addresses),
                    requestHandler, streamingHandler, signalHandler, connectHook,
                    new ServerCore.Hooks(onConnected, onDisconnected, callListener),
                    maxConcurrency, maxConcurrencyPerChannel));
        }
    }
}
