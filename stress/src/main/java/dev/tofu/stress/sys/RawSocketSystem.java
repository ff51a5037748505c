package dev.tofu.stress.sys;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The floor: plain blocking {@link SocketChannel}s, one thread per connection on each side
 * (platform threads or virtual threads), no library at all. The server is a byte echo (read what
 * is there, write it back); the client writes {@code [length:4][payload]} frames and parses them
 * back through a buffer. Nothing can be faster on these sockets with this threading.
 */
public final class RawSocketSystem implements EchoSystem {
    private final Transport transport;
    private final boolean virtual;
    private volatile SocketAddress target;
    private volatile int maxPayload = 65535;

    /** @param virtual virtual threads on both sides, else platform threads */
    public RawSocketSystem(Transport transport, boolean virtual) {
        this.transport = transport;
        this.virtual = virtual;
    }

    @Override
    public String name() {
        return virtual ? "raw-vt" : "raw-pt";
    }

    @Override
    public Transport transport() {
        return transport;
    }

    private ThreadFactory threads(String prefix) {
        return virtual ? Thread.ofVirtual().name(prefix, 0).factory()
                : Thread.ofPlatform().daemon().name(prefix, 0).factory();
    }

    @Override
    public EchoServer newServer() {
        return new Server();
    }

    /** Endpoints: "tcp:PORT" (on 127.0.0.1) or "uds:PATH". */
    @Override
    public void attach(String endpoint) {
        target = endpoint.startsWith("tcp:")
                ? new InetSocketAddress("127.0.0.1", Integer.parseInt(endpoint.substring(4)))
                : UnixDomainSocketAddress.of(endpoint.substring(4));
    }

    @Override
    public void prepare(int connections, int inFlight, int maxPayload) {
        this.maxPayload = maxPayload;
    }

    @Override
    public Connection connect() throws IOException {
        SocketChannel s = SocketChannel.open(transport == Transport.TCP ? StandardProtocolFamily.INET : StandardProtocolFamily.UNIX);
        try {
            if (transport == Transport.TCP) {
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                s.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            s.connect(target);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new RawConnection(s, maxPayload);
    }

    @Override
    public ThreadFactory driverThreads() {
        return threads("drv-" + name() + "-" + transport.label() + "-");
    }

    @Override
    public void close() {
        // the client half holds nothing between measurements
    }

    /** The byte echo: an acceptor thread and one echo thread per connection. */
    private final class Server implements EchoServer {
        private ServerSocketChannel server;
        private Path udsPath;
        private Thread acceptor;
        private final Set<SocketChannel> serverSockets = ConcurrentHashMap.newKeySet();
        private final AtomicInteger serverThreads = new AtomicInteger();

        @Override
        public String start() throws IOException {
            String endpoint;
            if (transport == Transport.TCP) {
                server = ServerSocketChannel.open(StandardProtocolFamily.INET);
                server.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
                endpoint = "tcp:" + ((InetSocketAddress) server.getLocalAddress()).getPort();
            } else {
                udsPath = Path.of(System.getProperty("java.io.tmpdir"), "tofu-" + name() + "-" + ProcessHandle.current().pid()
                        + "-" + System.nanoTime() % 100000 + ".sock");
                Files.deleteIfExists(udsPath);
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(udsPath), 4096);
                endpoint = "uds:" + udsPath;
            }
            ThreadFactory echoThreads = threads(name() + "-echo-");
            acceptor = Thread.ofPlatform().daemon().name(name() + "-accept").start(() -> {
                while (true) {
                    SocketChannel s;
                    try {
                        s = server.accept();
                    } catch (IOException e) {
                        return; // closed
                    }
                    try {
                        if (transport == Transport.TCP) {
                            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        }
                    } catch (IOException ignored) {
                        // keep going without the option
                    }
                    serverSockets.add(s);
                    serverThreads.incrementAndGet();
                    echoThreads.newThread(() -> echo(s)).start();
                }
            });
            return endpoint;
        }

        private void echo(SocketChannel s) {
            ByteBuffer b = ByteBuffer.allocateDirect(16 * 1024);
            try {
                while (s.read(b) >= 0) {
                    b.flip();
                    while (b.hasRemaining()) {
                        s.write(b);
                    }
                    b.clear();
                }
            } catch (IOException ignored) {
                // reset by the client: done
            } finally {
                serverSockets.remove(s);
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
                serverThreads.decrementAndGet();
            }
        }

        @Override
        public List<String> leaks(long waitMillis) {
            long deadline = System.currentTimeMillis() + waitMillis;
            while (System.currentTimeMillis() < deadline && serverThreads.get() != 0) {
                EmbeddedTofuServer.sleep(20);
            }
            List<String> out = new ArrayList<>();
            if (serverThreads.get() != 0) {
                out.add(name() + " server: " + serverThreads.get() + " connection threads still running");
            }
            return out;
        }

        @Override
        public void close() {
            try {
                server.close();
                for (SocketChannel s : serverSockets) {
                    s.close();
                }
                if (udsPath != null) {
                    Files.deleteIfExists(udsPath);
                }
                acceptor.join(5000);
            } catch (IOException | InterruptedException ignored) {
                // best effort
            }
        }
    }

    /** {@code [length:4][payload]} frames over one blocking socket channel. */
    static final class RawConnection implements Connection {
        private final SocketChannel s;
        private final ByteBuffer out;
        private final ByteBuffer in; // read mode: unread bytes in [position, limit)

        RawConnection(SocketChannel s, int maxPayload) {
            this.s = s;
            this.out = ByteBuffer.allocateDirect(4 + maxPayload);
            this.in = ByteBuffer.allocateDirect(Math.max(16 * 1024, 2 * (4 + maxPayload)));
            this.in.flip();
        }

        @Override
        public void send(byte[] payload, int length, long messageId, boolean more) throws IOException {
            out.clear();
            out.putInt(length).put(payload, 0, length).flip();
            while (out.hasRemaining()) {
                s.write(out);
            }
        }

        @Override
        public boolean receive(Reply reply, long timeoutNanos) throws IOException {
            reply.clear();
            need(4);
            int len = in.getInt();
            need(len);
            in.get(reply.room(len), 0, len);
            reply.length = len;
            return true;
        }

        private void need(int n) throws IOException {
            if (in.remaining() >= n) {
                return;
            }
            in.compact();
            while (in.position() < n) {
                if (s.read(in) < 0) {
                    in.flip();
                    throw new IOException("connection closed by the server");
                }
            }
            in.flip();
        }

        @Override
        public void close(Consumer<Reply> late) throws IOException {
            s.close();
        }

        @Override
        public void abort() {
            try {
                s.close();
            } catch (IOException ignored) {
                // closed
            }
        }
    }
}
