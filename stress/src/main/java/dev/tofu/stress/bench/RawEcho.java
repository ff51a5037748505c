package dev.tofu.stress.bench;

import dev.tofu.stress.sys.Transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * The raw-socket floor of {@link RoundTripBench}: the same loopback round trip of a
 * {@code [length:4][payload]} frame over one plain blocking {@link SocketChannel} pair, no library.
 * The echo server is one virtual thread that reads exactly one frame (header, then payload) and
 * writes it back, as tofu's echo server runs on virtual threads. The client side either runs on the
 * calling thread ({@link #roundTrip}, the benchmark's platform thread, like tofu's application
 * thread) or on a virtual thread of its own that the calling thread hands each round trip to and
 * waits for ({@link #roundTripViaVirtualClient}, the shape of tofu's hand-off to its writer and
 * from its reader). Both sides reuse direct buffers, so every byte allocated per round trip is the
 * JDK's: socket reads that park and the virtual-thread scheduler.
 *
 * <p>Threads: {@link #open}, {@link #roundTrip}, {@link #roundTripViaVirtualClient} and
 * {@link #close} from one caller thread; the echo loop on its own virtual thread; the client loop
 * (only once {@link #roundTripViaVirtualClient} was called) on another. Invariants of the hand-off:
 * {@code requested} is written only by the caller and {@code done} only by the client thread;
 * {@code done == requested} means no round trip is in flight, and {@code result} is published by
 * the volatile write of {@code done}.
 */
final class RawEcho implements AutoCloseable {
    private final Transport transport;
    private final int size;
    private final ServerSocketChannel listener;
    private final SocketChannel client;
    private final SocketChannel served;
    private final Path udsPath;
    private final Thread echo;
    private final ByteBuffer out;        // the request frame, written again on every round trip
    private final ByteBuffer in;         // the client's receive buffer
    private final byte[] payload;
    private volatile boolean running = true;
    private volatile long requested;     // caller only
    private volatile long done;          // client thread only
    private volatile Thread waiter;      // caller, while it waits for the client thread
    private int result;                  // client thread; read after done
    private Thread clientThread;         // caller only

    private RawEcho(Transport transport, int size) throws IOException {
        this.transport = transport;
        this.size = size;
        if (transport == Transport.TCP) {
            listener = ServerSocketChannel.open(StandardProtocolFamily.INET);
            listener.bind(new InetSocketAddress("127.0.0.1", 0), 16);
            udsPath = null;
        } else {
            udsPath = Path.of(System.getProperty("java.io.tmpdir"),
                    "tofu-rawecho-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000 + ".sock");
            Files.deleteIfExists(udsPath);
            listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(udsPath), 16);
        }
        client = SocketChannel.open(transport == Transport.TCP ? StandardProtocolFamily.INET : StandardProtocolFamily.UNIX);
        client.connect(listener.getLocalAddress()); // completes from the backlog, no accept needed yet
        served = listener.accept();
        if (transport == Transport.TCP) {
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            served.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        out = ByteBuffer.allocateDirect(4 + size);
        in = ByteBuffer.allocateDirect(4 + size);
        payload = new byte[size];
        echo = Thread.ofVirtual().name("raw-echo").start(this::echoLoop);
    }

    /**
     * Connects a client to a new echo server.
     *
     * @param transport TCP on 127.0.0.1 or a Unix-domain socket in the temporary directory
     * @param size      the payload size of every frame
     */
    static RawEcho open(Transport transport, int size) {
        try {
            return new RawEcho(transport, size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The transport this pair runs over. */
    Transport transport() {
        return transport;
    }

    /** One round trip with the socket IO on the calling thread; returns the echoed payload length. */
    int roundTrip() {
        try {
            return clientRoundTrip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One round trip done by the client's virtual thread: the caller unparks it and parks until it
     * has written the frame and read the echo; returns the echoed payload length.
     */
    int roundTripViaVirtualClient() {
        Thread c = clientThread;
        if (c == null) {
            c = Thread.ofVirtual().name("raw-client").start(this::clientLoop);
            clientThread = c;
        }
        waiter = Thread.currentThread();
        long r = requested + 1;
        requested = r;
        LockSupport.unpark(c);
        while (done != r) {
            LockSupport.park(this);
            if (!c.isAlive()) {
                throw new IllegalStateException("raw client thread ended");
            }
        }
        return result;
    }

    private int clientRoundTrip() throws IOException {
        out.clear();
        out.putInt(size).put(payload).flip();
        while (out.hasRemaining()) {
            client.write(out);
        }
        in.clear().limit(4);
        readFully(client, in);
        int len = in.getInt(0);
        in.limit(4 + len);
        readFully(client, in);
        return len;
    }

    private void clientLoop() {
        try {
            while (running) {
                long r = requested;
                if (r == done) {
                    LockSupport.park(this);
                    continue;
                }
                result = clientRoundTrip();
                done = r;
                LockSupport.unpark(waiter);
            }
        } catch (IOException e) {
            if (running) {
                throw new UncheckedIOException(e);
            }
        } finally {
            LockSupport.unpark(waiter);
        }
    }

    /** Reads until the buffer's limit; false at end of stream. */
    private static boolean readFully(SocketChannel s, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (s.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    private void echoLoop() {
        ByteBuffer b = ByteBuffer.allocateDirect(64 * 1024);
        try {
            while (true) {
                b.clear().limit(4);
                if (!readFully(served, b)) {
                    return;
                }
                int len = b.getInt(0);
                b.limit(4 + len);
                if (!readFully(served, b)) {
                    return;
                }
                b.flip();
                while (b.hasRemaining()) {
                    served.write(b);
                }
            }
        } catch (IOException e) {
            // closed: done
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            client.close(); // the echo loop reads end of stream and returns
            Thread c = clientThread;
            if (c != null) {
                LockSupport.unpark(c);
                c.join(5000);
            }
            echo.join(5000);
            served.close();
            listener.close();
            if (udsPath != null) {
                Files.deleteIfExists(udsPath);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
