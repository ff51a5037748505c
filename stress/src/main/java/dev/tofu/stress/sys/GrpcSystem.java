package dev.tofu.stress.sys;

import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * gRPC-java (grpc-netty-shaded) over TCP, or over a Unix-domain socket through the native epoll
 * transport bundled in grpc-netty-shaded (Linux only), without protobuf: one unary method whose request and
 * response are raw bytes ({@link #ECHO}, a marshaller over a {@link KnownLength} byte stream), the
 * server answering every request with its own body ({@link ServerCalls#asyncUnaryCall}). Each
 * harness connection is one {@link ManagedChannel} (one HTTP/2 connection); calls are
 * {@link ClientCalls#blockingUnaryCall} on the caller's thread, driven as {@link CallingConnection}
 * does (K virtual-thread callers per connection when K are in flight), as tofu-call is.
 *
 * <p>{@code grpc} runs the server's calls on gRPC's default executor (a cached thread pool),
 * {@code grpc-vt} on a virtual thread per call ({@code Executors.newVirtualThreadPerTaskExecutor()}).
 */
public final class GrpcSystem implements EchoSystem {
    /** The echo method: bytes in, the same bytes out. */
    static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("tofu.Echo", "Echo"))
            .setRequestMarshaller(Bytes.MARSHALLER)
            .setResponseMarshaller(Bytes.MARSHALLER)
            .build();

    /**
     * The client's side of {@link #ECHO} (the same method on the wire): the request is a
     * {@link CallingConnection.Request}, streamed from the connection's reusable buffer, so a call
     * needs no array of its own for the request.
     */
    static final MethodDescriptor<CallingConnection.Request, byte[]> ECHO_CALL = ECHO.toBuilder(
            Bytes.REQUEST_MARSHALLER, Bytes.MARSHALLER).build();

    private static final int MAX_MESSAGE = 1 << 20;

    private final Transport transport;
    private final boolean virtualServer;
    private volatile SocketAddress target;
    private volatile int inFlight = 1;
    private EventLoopGroup udsLoop; // UDS: the client channels' event loops (TCP uses gRPC's shared ones)

    /**
     * @param transport     TCP, or UDS (needs grpc-netty-shaded's native epoll transport)
     * @param virtualServer the server runs each call on a virtual thread of its own (grpc-vt), else gRPC's default executor
     */
    public GrpcSystem(Transport transport, boolean virtualServer) {
        this.transport = transport;
        this.virtualServer = virtualServer;
    }

    @Override
    public String name() {
        return virtualServer ? "grpc-vt" : "grpc";
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public String unavailable() {
        return transport == Transport.UDS && !Epoll.isAvailable()
                ? "grpc over UDS needs grpc-netty-shaded's native epoll transport: " + Epoll.unavailabilityCause() : null;
    }

    @Override
    public EchoServer newServer() {
        return new Half(transport, virtualServer);
    }

    /** Endpoint: "tcp:PORT" (on 127.0.0.1) or "uds:PATH". */
    @Override
    public void attach(String endpoint) {
        if (endpoint.startsWith("tcp:")) {
            target = new InetSocketAddress("127.0.0.1", Integer.parseInt(endpoint.substring(4)));
        } else {
            requireEpoll();
            target = new DomainSocketAddress(endpoint.substring(4));
            if (udsLoop == null) {
                udsLoop = new MultiThreadIoEventLoopGroup(0, EpollIoHandler.newFactory());
            }
        }
    }

    private static void requireEpoll() {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("grpc over UDS needs grpc-netty-shaded's native epoll transport: "
                    + Epoll.unavailabilityCause());
        }
    }

    @Override
    public void prepare(int connections, int inFlight, int maxPayload) {
        this.inFlight = inFlight;
    }

    @Override
    public Connection connect() throws IOException {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(target).usePlaintext().maxInboundMessageSize(MAX_MESSAGE);
        if (target instanceof DomainSocketAddress) {
            b.eventLoopGroup(udsLoop).channelType(EpollDomainSocketChannel.class);
        }
        ManagedChannel ch = b.build();
        try {
            awaitReady(ch, 10_000);
        } catch (IOException e) {
            ch.shutdownNow();
            throw e;
        }
        return new CallingConnection((request, timeoutNanos, reply) -> call(ch, request, timeoutNanos, reply), inFlight,
                () -> close(ch), ch::shutdownNow);
    }

    /** Blocks until the channel is READY (its HTTP/2 connection is up), as {@link EchoSystem#connect} promises. */
    private static void awaitReady(ManagedChannel ch, long millis) throws IOException {
        long deadline = System.currentTimeMillis() + millis;
        ConnectivityState s;
        while ((s = ch.getState(true)) != ConnectivityState.READY) {
            if (s == ConnectivityState.SHUTDOWN || System.currentTimeMillis() > deadline) {
                throw new IOException("grpc channel not ready within " + millis + " ms: " + s);
            }
            CountDownLatch changed = new CountDownLatch(1);
            ch.notifyWhenStateChanged(s, changed::countDown);
            try {
                changed.await(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /**
     * One blocking call; the response array (a fresh one from {@link Bytes#MARSHALLER}) becomes the
     * reply's, so it is not copied again.
     */
    private static boolean call(ManagedChannel ch, CallingConnection.Request request, long timeoutNanos, Reply reply)
            throws IOException {
        try {
            byte[] body = ClientCalls.blockingUnaryCall(ch, ECHO_CALL,
                    CallOptions.DEFAULT.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS), request);
            reply.data = body;
            reply.length = body.length;
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                return false;
            }
            throw new IOException("grpc call: " + e.getStatus(), e);
        }
    }

    private static void close(ManagedChannel ch) {
        ch.shutdown();
        try {
            if (!ch.awaitTermination(5, TimeUnit.SECONDS)) {
                ch.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ch.shutdownNow();
        }
    }

    @Override
    public ThreadFactory driverThreads() {
        return Thread.ofVirtual().name("drv-" + name() + "-", 0).factory();
    }

    @Override
    public void close() {
        // each connection owns its channel; over UDS they share the event loops closed here
        if (udsLoop != null) {
            udsLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            udsLoop = null;
        }
    }

    /**
     * The marshaller of {@link #ECHO}: a byte array as a stream gRPC can size ({@link KnownLength})
     * and write out in one go ({@link Drainable}); parsing reads exactly the known length (a plain
     * {@code readAllBytes} would allocate a 16 KiB buffer per message).
     */
    static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {
        static final MethodDescriptor.Marshaller<byte[]> MARSHALLER = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(byte[] value) {
                return new Bytes(value);
            }

            @Override
            public byte[] parse(InputStream stream) {
                try {
                    if (stream instanceof KnownLength) {
                        byte[] b = new byte[stream.available()];
                        int n = stream.readNBytes(b, 0, b.length);
                        if (n != b.length) {
                            throw new IOException("message shorter than its length: " + n + " of " + b.length);
                        }
                        return b;
                    }
                    return stream.readAllBytes();
                } catch (IOException e) {
                    throw Status.INTERNAL.withDescription("reading a message: " + e).asRuntimeException();
                }
            }
        };

        /**
         * The client's request marshaller: streams {@code data[0, length)} of the connection's
         * buffer, which gRPC drains into its own buffers before the server can answer, so the
         * buffer is free again when the call returns (the client never parses a request; parsing
         * copies, for completeness).
         */
        static final MethodDescriptor.Marshaller<CallingConnection.Request> REQUEST_MARSHALLER = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(CallingConnection.Request value) {
                return new Bytes(value.data, value.length);
            }

            @Override
            public CallingConnection.Request parse(InputStream stream) {
                byte[] b = MARSHALLER.parse(stream);
                CallingConnection.Request r = new CallingConnection.Request();
                r.set(b, b.length);
                return r;
            }
        };

        Bytes(byte[] b) {
            super(b);
        }

        Bytes(byte[] b, int length) {
            super(b, 0, length);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }

    /**
     * The server half: one gRPC server on 127.0.0.1 or a fresh UDS path, counting its live HTTP/2
     * connections for the leak check.
     */
    private static final class Half implements EchoServer {
        private final Transport transport;
        private final boolean virtual;
        private final AtomicInteger transports = new AtomicInteger();
        private ExecutorService executor;
        private EventLoopGroup boss;
        private EventLoopGroup workers;
        private Path udsPath;
        private Server server;

        Half(Transport transport, boolean virtual) {
            this.transport = transport;
            this.virtual = virtual;
        }

        @Override
        public String start() throws IOException {
            ServerServiceDefinition echo = ServerServiceDefinition.builder("tofu.Echo")
                    .addMethod(ECHO, ServerCalls.asyncUnaryCall((byte[] request, io.grpc.stub.StreamObserver<byte[]> response) -> {
                        response.onNext(request);
                        response.onCompleted();
                    }))
                    .build();
            NettyServerBuilder b;
            if (transport == Transport.TCP) {
                b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
            } else {
                requireEpoll();
                udsPath = Path.of(System.getProperty("java.io.tmpdir"), "tofu-grpc-" + ProcessHandle.current().pid()
                        + "-" + System.nanoTime() % 100000 + ".sock");
                Files.deleteIfExists(udsPath);
                boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
                workers = new MultiThreadIoEventLoopGroup(0, EpollIoHandler.newFactory());
                b = NettyServerBuilder.forAddress(new DomainSocketAddress(udsPath.toString()))
                        .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(boss).workerEventLoopGroup(workers);
            }
            b.maxInboundMessageSize(MAX_MESSAGE)
                    .addService(echo)
                    .addTransportFilter(new ServerTransportFilter() {
                        @Override
                        public io.grpc.Attributes transportReady(io.grpc.Attributes a) {
                            transports.incrementAndGet();
                            return a;
                        }

                        @Override
                        public void transportTerminated(io.grpc.Attributes a) {
                            transports.decrementAndGet();
                        }
                    });
            if (virtual) {
                executor = Executors.newVirtualThreadPerTaskExecutor();
                b.executor(executor);
            }
            server = b.build().start();
            return udsPath != null ? "uds:" + udsPath : "tcp:" + server.getPort();
        }

        @Override
        public List<String> leaks(long waitMillis) {
            long deadline = System.currentTimeMillis() + waitMillis;
            while (System.currentTimeMillis() < deadline && transports.get() > 0) {
                EmbeddedTofuServer.sleep(20);
            }
            return transports.get() > 0 ? List.of("grpc server: " + transports.get() + " connections still open") : List.of();
        }

        @Override
        public void close() {
            if (server == null) {
                return;
            }
            server.shutdown();
            try {
                if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                    server.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                server.shutdownNow();
            }
            if (executor != null) {
                executor.shutdownNow();
            }
            if (boss != null) {
                boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
                workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            }
            if (udsPath != null) {
                try {
                    Files.deleteIfExists(udsPath);
                } catch (IOException ignored) {
                    // best effort
                }
            }
            server = null;
        }
    }
}
