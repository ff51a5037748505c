package dev.tofu.testing;

import dev.tofu.Address;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A plain blocking socket speaking tofu's wire format by hand (PROTOCOL.md §1): lets tests write
 * frames no conforming sender would write, read what the engine writes byte by byte, and play a
 * peer that never reads or never closes. Works over TCP and Unix-domain sockets.
 */
public final class Raw implements AutoCloseable {
    private static final AtomicLong UDS_COUNTER = new AtomicLong();

    private final SocketChannel socket;

    private Raw(SocketChannel socket) {
        this.socket = socket;
    }

    /** One decoded frame (§1.1): the six header fields, the raw text-header section and the body. */
    public record Frame(int channel, int proto, int status, long messageId, byte[] headers, byte[] body) {
        /** Returns the opcode (low nibble of proto, §1.3). */
        public int opCode() {
            return proto & 0x0F;
        }

        /** Returns the body as UTF-8 text. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Connects a raw socket to a client address ({@code tcp|host|port} or {@code uds|path}). */
    public static Raw connect(Address clientAddress) throws IOException {
        return new Raw(SocketChannel.open(socketAddress(clientAddress)));
    }

    /** Wraps an accepted socket. */
    public static Raw of(SocketChannel socket) {
        return new Raw(socket);
    }

    /** Encodes one frame: 16-byte big-endian header (§1.2), then headers, then body. */
    public static byte[] frame(int channel, int proto, int status, long messageId, byte[] headers, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(16 + headers.length + body.length);
        b.putShort((short) channel).put((byte) proto).put((byte) status).putLong(messageId)
                .putShort((short) headers.length).putShort((short) body.length).put(headers).put(body);
        return b.array();
    }

    /** Encodes a frame with no text headers and a UTF-8 body. */
    public static byte[] frame(int channel, int proto, long messageId, String body) {
        return frame(channel, proto, 0, messageId, new byte[0], body.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes all of {@code bytes}. */
    public void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            socket.write(b);
        }
    }

    /** Reads one whole frame; fails the test if none arrives within {@code timeout} or the stream ends. */
    public Frame readFrame(Duration timeout) {
        return within(timeout, () -> {
            ByteBuffer h = readExactly(16);
            int channel = Short.toUnsignedInt(h.getShort());
            int proto = Byte.toUnsignedInt(h.get());
            int status = Byte.toUnsignedInt(h.get());
            long id = h.getLong();
            int thl = Short.toUnsignedInt(h.getShort());
            int bl = Short.toUnsignedInt(h.getShort());
            byte[] headers = readExactly(thl).array();
            byte[] body = readExactly(bl).array();
            return new Frame(channel, proto, status, id, headers, body);
        });
    }

    /** Reads exactly {@code n} raw bytes; fails the test if they do not arrive within {@code timeout}. */
    public byte[] readBytes(int n, Duration timeout) {
        return within(timeout, () -> readExactly(n).array());
    }

    /**
     * Reads and discards until the peer ends the stream (EOF) or resets it; returns whether that
     * happened within {@code timeout}.
     */
    public boolean awaitPeerClose(Duration timeout) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().name("raw-eof").start(() -> {
            ByteBuffer b = ByteBuffer.allocate(8192);
            try {
                while (true) {
                    b.clear();
                    if (socket.read(b) < 0) {
                        f.complete(true);
                        return;
                    }
                }
            } catch (IOException e) {
                f.complete(socket.isOpen()); // reset by the peer, not closed by us
            }
        });
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            closeQuietly();
            return false;
        } catch (InterruptedException | ExecutionException e) {
            closeQuietly();
            throw new AssertionError(e);
        } finally {
            joinQuietly(t);
        }
    }

    /** Closes the socket. */
    @Override
    public void close() {
        closeQuietly();
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private <T> T within(Duration timeout, IoCall<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().name("raw-read").start(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            closeQuietly();
            joinQuietly(t);
            return fail("raw socket: nothing within " + timeout);
        } catch (ExecutionException e) {
            return fail("raw socket: read failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    private ByteBuffer readExactly(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (socket.read(b) < 0) {
                throw new EOFException("stream ended with " + b.remaining() + " of " + n + " bytes missing");
            }
        }
        return b.flip();
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Returns the socket address a client address names. */
    public static SocketAddress socketAddress(Address clientAddress) {
        if (clientAddress instanceof Address.TcpClient tcp) {
            return new InetSocketAddress(tcp.host(), tcp.port());
        }
        if (clientAddress instanceof Address.UdsClient uds) {
            return UnixDomainSocketAddress.of(uds.path());
        }
        throw new IllegalArgumentException("not a client address: " + clientAddress);
    }

    /** Returns a fresh temporary UDS path that does not exist yet. */
    public static Path freshUdsPath() {
        String dir = System.getProperty("java.io.tmpdir", "/tmp");
        Path p = Path.of(dir, "tofu_raw_" + ProcessHandle.current().pid() + "_" + UDS_COUNTER.getAndIncrement() + ".port");
        if (Files.exists(p) || p.toString().length() > Address.UDS_PATH_MAX_BYTES) {
            p = Path.of("/tmp", "tofu_raw_" + System.nanoTime() + ".port");
        }
        return p;
    }

    /**
     * A plain listening socket (TCP on 127.0.0.1 port 0, or UDS at a fresh path) that accepts raw
     * peers: for example a peer that never reads.
     */
    public static final class Server implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Address clientAddress;
        private final Path udsPath;

        /**
         * Binds a server socket.
         *
         * @param tcp           TCP on loopback, else UDS
         * @param receiveBuffer SO_RCVBUF of accepted sockets (set before bind), or 0 for the default
         */
        public Server(boolean tcp, int receiveBuffer) throws IOException {
            if (tcp) {
                server = ServerSocketChannel.open(StandardProtocolFamily.INET);
                if (receiveBuffer > 0) {
                    server.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer);
                }
                server.bind(new InetSocketAddress("127.0.0.1", 0));
                clientAddress = Address.tcpClient("127.0.0.1", ((InetSocketAddress) server.getLocalAddress()).getPort());
                udsPath = null;
            } else {
                udsPath = freshUdsPath();
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(udsPath));
                clientAddress = Address.udsClient(udsPath);
            }
        }

        /** Returns the address a client connects to. */
        public Address clientAddress() {
            return clientAddress;
        }

        /** Accepts one connection (blocks). */
        public Raw accept() throws IOException {
            SocketChannel s = server.accept();
            return new Raw(s);
        }

        @Override
        public void close() throws IOException {
            server.close();
            if (udsPath != null) {
                Files.deleteIfExists(udsPath);
            }
        }
    }
}
