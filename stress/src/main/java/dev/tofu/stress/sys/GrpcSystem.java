package dev.tofu.stress.sys;

import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
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
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * gRPC-java (grpc-netty-shaded) over TCP, without protobuf: one unary method whose request and
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

    private static final int MAX_MESSAGE = 1 << 20;

    private final boolean virtualServer;
    private volatile InetSocketAddress target;
    private volatile int inFlight = 1;

    /** @param virtualServer the server runs each call on a virtual thread of its own (grpc-vt), else gRPC's default executor */
    public GrpcSystem(boolean virtualServer) {
        this.virtualServer = virtualServer;
    }

    @Override
    public String name() {
        return virtualServer ? "grpc-vt" : "grpc";
    }

    @Override
    public Transport transport() {
        return Transport.TCP;
    }

    @Override
    public EchoServer newServer() {
        return new Half(virtualServer);
    }

    /** Endpoint: the server's port on 127.0.0.1. */
    @Override
    public void attach(String endpoint) {
        target = new InetSocketAddress("127.0.0.1", Integer.parseInt(endpoint));
    }

    @Override
    public void prepare(int connections, int inFlight, int maxPayload) {
        this.inFlight = inFlight;
    }

    @Override
    public Connection connect() throws IOException {
        ManagedChannel ch = NettyChannelBuilder.forAddress(target).usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE).build();
        try {
            awaitReady(ch, 10_000);
        } catch (IOException e) {
            ch.shutdownNow();
            throw e;
        }
        return new CallingConnection((request, timeoutNanos) -> call(ch, request, timeoutNanos), inFlight,
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

    private static byte[] call(ManagedChannel ch, byte[] request, long timeoutNanos) throws IOException {
        try {
            return ClientCalls.blockingUnaryCall(ch, ECHO, CallOptions.DEFAULT.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS),
                    request);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                return null;
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
        // each connection owns its channel; nothing shared on the client side
    }

    /** The marshaller of {@link #ECHO}: a byte array as a stream gRPC can size without copying. */
    static final class Bytes extends ByteArrayInputStream implements KnownLength {
        static final MethodDescriptor.Marshaller<byte[]> MARSHALLER = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(byte[] value) {
                return new Bytes(value);
            }

            @Override
            public byte[] parse(InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (IOException e) {
                    throw Status.INTERNAL.withDescription("reading a message: " + e).asRuntimeException();
                }
            }
        };

        Bytes(byte[] b) {
            super(b);
        }
    }

    /** The server half: one gRPC server on 127.0.0.1, counting its live HTTP/2 connections for the leak check. */
    private static final class Half implements EchoServer {
        private final boolean virtual;
        private final AtomicInteger transports = new AtomicInteger();
        private ExecutorService executor;
        private Server server;

        Half(boolean virtual) {
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
            NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .maxInboundMessageSize(MAX_MESSAGE)
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
            return Integer.toString(server.getPort());
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
            server = null;
        }
    }
}
