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
 * {@link TofuException} with {@link Status#PROCESSING_FAILED} and the header's text.
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
 * reader of the server's {@link ChannelGroup}; it runs the {@link ConnectHook} and the
 * {@link SignalHandler} itself (keep them short). Each request runs on a new virtual thread named
 * {@code tofu-server-handler}. Every public method is safe from any thread. Nothing uses
 * {@code synchronized}.
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
     * Answers one request with one response. Runs on the request's own virtual thread.
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
     * Answers one request with several parts and, optionally, progress SIGNALs. Runs on the
     * request's own virtual thread.
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
     * Returns a cleared message owned by the caller ({@code ampe.get(ALWAYS)}).
     *
     * @return a cleared message owned by the caller
     */
    public Message newMessage() {
        return core.newMessage();
    }

    /**
     * Returns whether the server is running (not stopping or stopped).
     *
     * @return whether the server is running
     */
    public boolean isRunning() {
        return core.isRunning();
    }

    /**
     * Stops gracefully: closes the listeners, lets running (and waiting) requests finish within
     * {@code deadline}, sends a ByeRequest to every client and waits up to 2 s more for their
     * channels to close, then destroys the group (handlers still running are interrupted and their
     * responses dropped). Blocks until done; idempotent.
     * @param deadline how long running requests may take to finish
     */
    public void stop(Duration deadline) {
        core.stop(Objects.requireNonNull(deadline, "deadline"));
    }

    /**
     * Stops at once: every listener and client channel is closed with a ByeSignal (clients see a
     * disconnect), the group is destroyed, running handlers are interrupted and their responses
     * dropped. Idempotent.
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
         * Starts every listener and waits for each to answer, then starts the dispatcher.
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
            return new Server(ServerCore.start(reactor.ampe(), List.copyOf(addresses), requestHandler,
                    streamingHandler, signalHandler, connectHook, maxConcurrency, maxConcurrencyPerChannel));
        }
    }
}
