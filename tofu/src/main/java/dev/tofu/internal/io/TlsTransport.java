package dev.tofu.internal.io;

import dev.tofu.Address;
import dev.tofu.Options;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;

/**
 * TLS over one connected, blocking TCP {@link SocketChannel}: an {@link SSLEngine} driven by
 * blocking wrap and unwrap loops, offered to the frame codec as a plain byte channel
 * ({@link dev.tofu.internal.wire.FrameReader} reads it, {@link dev.tofu.internal.wire.FrameWriter}
 * writes to it).
 *
 * <p>Threads: {@link #handshake} runs once, on the thread that owns the channel's reads at that
 * moment (a client's connector, an accepted channel's reader), before any {@link #read} or
 * {@link #write}. After it, {@link #read} is called only by the reader thread and {@link #write} only
 * by whoever holds the channel's writing rights (the writer thread or a direct poster), so at most
 * one thread reads and one writes. An accepted channel's writer waits in {@link #awaitHandshake}
 * until its reader, having run the handshake, calls {@link #release} (always, success or not). {@link #close} is safe from any
 * thread: it closes the socket, which makes any blocked read or write fail at once.
 *
 * <p>Invariants: {@code netIn} (received TLS bytes, write mode) and {@code appIn} (decrypted bytes
 * not yet handed out, read mode) belong to the reading thread. {@code netOut} and every socket
 * write belong to whoever holds {@code writeLock}: records reach the socket in the order the engine
 * produced them, whether the writer wraps application data or the reader answers a post-handshake
 * message (a TLS 1.3 KeyUpdate, NEED_WRAP). The lock is a {@link ReentrantLock}, never a monitor:
 * it is held across blocking socket writes. After the handshake the reader only ever
 * {@code tryLock}s it (see {@link #afterUnwrap}), so reading never waits for writing. Buffers
 * never grow beyond {@link #MAX_BUFFER} whatever the peer sends; {@code SSLEngine} itself rejects
 * records over the TLS limit. No TLS close_notify is sent: tofu's ByeRequest/ByeResponse end a
 * session, and an end of stream without close_notify reads as an ordinary end of stream.
 *
 * <p>Known limit: a reader that must answer a post-handshake message while its socket's send
 * buffer is full blocks in that socket write until the peer reads (as the writer would).
 */
public final class TlsTransport implements ReadableByteChannel, GatheringByteChannel {
    private static final Logger LOG = LoggerFactory.getLogger(TlsTransport.class);
    /** A TLS handshake must finish within this when {@code Options.handshakeTimeout} is off. */
    static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Largest buffer the transport ever allocates (above the largest TLS record, 16 KiB + overhead). */
    static final int MAX_BUFFER = 64 * 1024;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final long RENEGOTIATION_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Loops in a row without progress after which the engine is declared stuck (never seen). */
    private static final int MAX_IDLE_LOOPS = 1000;

    private final SocketChannel socket;
    private final SSLEngine engine;
    private final long handshakeTimeoutNanos;
    private final CountDownLatch handshakeDone = new CountDownLatch(1);
    private volatile boolean handshakeOk;            // written before handshakeDone counts down

    private ByteBuffer netIn;                        // reading thread; write mode
    private ByteBuffer appIn;                        // reading thread; read mode

    private final ReentrantLock writeLock = new ReentrantLock();
    private final Condition readProgress = writeLock.newCondition(); // writer waits for an unwrap
    private ByteBuffer netOut;                       // guarded by writeLock; read mode between uses
    private volatile boolean writerWaiting;
    private volatile boolean wrapPending;            // the reader saw NEED_WRAP while the lock was taken

    /**
     * Runs one TLS handshake and one record each way between two engines in memory, on the calling
     * thread (the one creating a reactor), so the many JSSE and crypto classes are loaded and
     * initialised there: a virtual thread that loads a class pins its carrier, and the first
     * handshake on a channel thread would otherwise stall the other channels (PinningGuard ignores
     * class-loading pins; EngineClasses does the same for the engine's own classes). Best effort: a
     * context that cannot complete a handshake with itself (no key, or it does not trust its own
     * certificate) still loads most of them; nothing is thrown.
     */
    public static void warmUp(SSLContext context) {
        long start = System.nanoTime();
        String outcome = "completed";
        try {
            SSLEngine client = context.createSSLEngine("localhost", 1);
            client.setUseClientMode(true);
            SSLEngine server = context.createSSLEngine();
            server.setUseClientMode(false);
            int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
            int app = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
            ByteBuffer toServer = ByteBuffer.allocate(packet * 4);
            ByteBuffer toClient = ByteBuffer.allocate(packet * 4);
            ByteBuffer sink = ByteBuffer.allocate(app);
            client.beginHandshake();
            server.beginHandshake();
            for (int i = 0; i < 64 && !(idle(client) && idle(server)); i++) {
                step(client, toClient, toServer, sink);
                step(server, toServer, toClient, sink);
            }
            client.wrap(ByteBuffer.wrap(new byte[64]), toServer);
            server.wrap(ByteBuffer.wrap(new byte[64]), toClient);
            step(server, toServer, toClient, sink);
            step(client, toClient, toServer, sink);
        } catch (SSLException | RuntimeException e) {
            outcome = "ended early (" + e + ")";
        }
        LOG.debug("TLS warm-up {} in {} ms", outcome, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private static boolean idle(SSLEngine e) {
        HandshakeStatus hs = e.getHandshakeStatus();
        return hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED;
    }

    /** Warm-up: one move of {@code e}; {@code in} and {@code out} are in write mode. */
    private static void step(SSLEngine e, ByteBuffer in, ByteBuffer out, ByteBuffer sink) throws SSLException {
        HandshakeStatus hs = e.getHandshakeStatus();
        if (hs == HandshakeStatus.NEED_TASK) {
            Runnable task;
            while ((task = e.getDelegatedTask()) != null) {
                task.run();
            }
        } else if (hs == HandshakeStatus.NEED_WRAP) {
            e.wrap(EMPTY, out);
        } else if (in.position() > 0) {
            in.flip();
            sink.clear();
            e.unwrap(in, sink);
            in.compact();
        }
    }

    private TlsTransport(SocketChannel socket, SSLEngine engine, Duration handshakeTimeout) {
        this.socket = socket;
        this.engine = engine;
        this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
        int packet = Math.min(engine.getSession().getPacketBufferSize(), MAX_BUFFER);
        int app = Math.min(engine.getSession().getApplicationBufferSize(), MAX_BUFFER);
        this.netIn = ByteBuffer.allocate(packet);
        this.appIn = ByteBuffer.allocate(app).flip();
        this.netOut = ByteBuffer.allocate(packet).flip();
    }

    /**
     * The TLS end of a connected client socket when {@code Options.withTls} is on and the address is
     * TCP; {@code null} for plain TCP and Unix-domain sockets. The handshake (the caller's to run)
     * must finish within {@code Options.handshakeTimeout}, or {@link #DEFAULT_HANDSHAKE_TIMEOUT}.
     */
    public static TlsTransport forClient(Options options, SocketChannel socket, Address target) {
        if (options.tls().isEmpty() || !(target instanceof Address.TcpClient tcp)) {
            return null;
        }
        Duration t = options.handshakeTimeout().isZero() ? DEFAULT_HANDSHAKE_TIMEOUT : options.handshakeTimeout();
        String host = tcp.host().isEmpty() ? Address.DEFAULT_CLIENT_HOST : tcp.host();
        return client(options.tls().get(), socket, host, tcp.port(), t);
    }

    /**
     * The TLS end of an accepted socket when {@code Options.withTls} is on and the socket is TCP;
     * {@code null} otherwise. With {@code Options.handshakeTimeout} set, the watchdog closes a slow
     * handshake (as any connection without a first frame) and the read timeout here is only a
     * backstop; without it, the handshake must finish within {@link #DEFAULT_HANDSHAKE_TIMEOUT}.
     */
    public static TlsTransport forAccepted(Options options, SocketChannel socket) {
        if (options.tls().isEmpty()) {
            return null;
        }
        try {
            if (socket.getLocalAddress() instanceof UnixDomainSocketAddress) {
                return null;
            }
        } catch (IOException e) {
            // closed already: the handshake fails at once, which is what a closed socket deserves
        }
        Duration t = options.handshakeTimeout().isZero() ? DEFAULT_HANDSHAKE_TIMEOUT
                : options.handshakeTimeout().plus(DEFAULT_HANDSHAKE_TIMEOUT);
        return server(options.tls().get(), socket, t);
    }

    /**
     * A client end that verifies the server's certificate against {@code host} (endpoint
     * identification "HTTPS": the name or IP literal must be in the certificate's SAN).
     */
    static TlsTransport client(SSLContext context, SocketChannel socket, String host, int port, Duration handshakeTimeout) {
        SSLEngine e = context.createSSLEngine(host, port);
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        e.setSSLParameters(p);
        return new TlsTransport(socket, e, handshakeTimeout);
    }

    /** A server end, with the context's defaults (client certificates as the context asks). */
    static TlsTransport server(SSLContext context, SocketChannel socket, Duration handshakeTimeout) {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(false);
        return new TlsTransport(socket, e, handshakeTimeout);
    }

    /**
     * Runs the whole handshake on the calling thread; reads during it time out after the handshake
     * timeout (counted from the call). An accepted channel's reader then calls {@link #release},
     * whatever happened, to let its writer through {@link #awaitHandshake}.
     *
     * @throws IOException an {@link SSLException} when the peer is refused or refuses us, a
     *                     {@link SocketTimeoutException} when the peer is too slow, or a socket error
     */
    public void handshake() throws IOException {
        long deadline = System.nanoTime() + handshakeTimeoutNanos;
        try {
            engine.beginHandshake();
            HandshakeStatus hs = engine.getHandshakeStatus();
            while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
                if (System.nanoTime() - deadline > 0) {
                    throw new SocketTimeoutException("TLS handshake not completed within " + Duration.ofNanos(handshakeTimeoutNanos));
                }
                switch (hs) {
                    case NEED_TASK -> {
                        runTasks();
                        hs = engine.getHandshakeStatus();
                    }
                    case NEED_WRAP -> hs = wrapHandshake();
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        SSLEngineResult r = unwrap();
                        switch (r.getStatus()) {
                            case BUFFER_UNDERFLOW -> {
                                if (!fillNetIn(deadline)) {
                                    throw new SSLHandshakeException("the peer closed the connection during the TLS handshake");
                                }
                            }
                            case CLOSED -> throw new SSLHandshakeException("the peer closed TLS during the handshake");
                            default -> { }
                        }
                        hs = r.getHandshakeStatus();
                    }
                    default -> throw new SSLHandshakeException("unexpected handshake status " + hs);
                }
            }
            if (engine.isInboundDone() || engine.isOutboundDone()) {
                throw new SSLHandshakeException("TLS closed during the handshake");
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("TLS handshake done ({}, {}): {}", engine.getUseClientMode() ? "client" : "server",
                        socket.getRemoteAddress(), describe());
            }
        } catch (SSLException e) {
            sendAlert();
            throw e;
        } catch (RuntimeException e) {
            // SSLEngine reports some malformed input as unchecked exceptions: a refused peer all the same
            throw new SSLHandshakeException("TLS handshake failed: " + e);
        }
    }

    /**
     * Lets {@link #awaitHandshake} return {@code ok}; what the caller wrote before is visible to the
     * threads it lets through. Called once, by the thread that ran {@link #handshake}.
     */
    public void release(boolean ok) {
        handshakeOk = ok;
        handshakeDone.countDown();
    }

    /**
     * Waits until {@link #release} (on another thread); returns whether the handshake succeeded.
     */
    public boolean awaitHandshake() throws InterruptedException {
        handshakeDone.await();
        return handshakeOk;
    }

    /** The TLS protocol and cipher suite agreed, for logs. */
    String describe() {
        return engine.getSession().getProtocol() + " " + engine.getSession().getCipherSuite();
    }

    // ---- reading (the reader thread) --------------------------------------------------------

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        int idleUnwraps = 0;
        while (!appIn.hasRemaining()) {
            SSLEngineResult r = unwrap();
            afterUnwrap();
            if (r.getStatus() == SSLEngineResult.Status.OK && r.bytesConsumed() == 0 && r.bytesProduced() == 0
                    && ++idleUnwraps > MAX_IDLE_LOOPS) {
                throw new SSLException("the TLS engine makes no progress reading");
            }
            switch (r.getStatus()) {
                case BUFFER_UNDERFLOW -> {
                    if (!fillNetIn(0)) {
                        return -1; // EOF without close_notify: tofu's own Bye says whether it was graceful
                    }
                }
                case CLOSED -> {
                    return -1; // close_notify received
                }
                default -> { } // OK (data, or a post-handshake message) or a grown buffer: go round
            }
        }
        int n = Math.min(dst.remaining(), appIn.remaining());
        int limit = appIn.limit();
        appIn.limit(appIn.position() + n);
        dst.put(appIn);
        appIn.limit(limit);
        return n;
    }

    /** One unwrap of whatever {@code netIn} holds into {@code appIn}, growing a buffer when asked. */
    private SSLEngineResult unwrap() throws IOException {
        appIn.compact();
        netIn.flip();
        SSLEngineResult r;
        try {
            r = engine.unwrap(netIn, appIn);
        } finally {
            netIn.compact();
            appIn.flip();
        }
        if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
            appIn = grow(appIn, engine.getSession().getApplicationBufferSize(), true);
        } else if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                && engine.getSession().getPacketBufferSize() > netIn.capacity()) {
            netIn = grow(netIn, engine.getSession().getPacketBufferSize(), false);
        }
        if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
            runTasks();
        }
        return r;
    }

    /**
     * After the handshake: has post-handshake answers sent (a TLS 1.3 KeyUpdate) and wakes a writer
     * waiting on us. The reader never waits for the write lock: a writer holding it sends the
     * pending answer itself (the engine puts pending handshake records before application data in
     * its next wrap, and {@link #write} checks {@code wrapPending} after releasing the lock), so a
     * reader never stops reading because its own side is busy writing.
     */
    private void afterUnwrap() throws IOException {
        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            wrapPending = true;
            wrapPendingIfFree();
        }
        if (writerWaiting && writeLock.tryLock()) { // the waiting writer released the lock in await
            try {
                readProgress.signalAll();
            } finally {
                writeLock.unlock();
            }
        }
    }

    /** Sends pending handshake records unless another thread holds the write lock (it will). */
    private void wrapPendingIfFree() throws IOException {
        while (wrapPending && writeLock.tryLock()) {
            try {
                wrapPending = false; // cleared under the lock, before the wrap: a later request sets it again
                wrapHandshake();
            } finally {
                writeLock.unlock();
            }
        }
    }

    /**
     * Reads more TLS bytes from the socket into {@code netIn}; false at end of stream. With a
     * deadline (handshake), reads through the socket adaptor, whose timeout parks the virtual
     * thread like a channel read does.
     */
    private boolean fillNetIn(long deadline) throws IOException {
        if (!netIn.hasRemaining()) {
            throw new SSLException("a TLS record does not fit in " + netIn.capacity() + " bytes");
        }
        int n;
        if (deadline == 0) {
            n = socket.read(netIn);
        } else {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("TLS handshake not completed within " + Duration.ofNanos(handshakeTimeoutNanos));
            }
            Socket adaptor = socket.socket();
            adaptor.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
            InputStream in = adaptor.getInputStream();
            try {
                n = in.read(netIn.array(), netIn.arrayOffset() + netIn.position(), netIn.remaining());
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("TLS handshake not completed within " + Duration.ofNanos(handshakeTimeoutNanos));
            }
            if (n > 0) {
                netIn.position(netIn.position() + n);
            }
        }
        return n >= 0;
    }

    // ---- writing (whoever holds the channel's writing rights) ---------------------------------

    @Override
    public int write(ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    /**
     * Encrypts and sends everything in {@code srcs[offset, offset + length)} before returning: the
     * engine packs the gathered buffers into records of up to 16 KiB, so a batch of small frames
     * costs few records and few socket writes.
     */
    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        int idle = 0;
        writeLock.lock();
        try {
            while (remaining(srcs, offset, length)) {
                netOut.clear();
                SSLEngineResult r;
                try {
                    r = engine.wrap(srcs, offset, length, netOut);
                } finally {
                    netOut.flip();
                }
                total += r.bytesConsumed();
                switch (r.getStatus()) {
                    case CLOSED -> throw new ClosedChannelException();
                    case BUFFER_OVERFLOW -> netOut = grow(netOut, engine.getSession().getPacketBufferSize(), true);
                    default -> { }
                }
                flush();
                HandshakeStatus hs = r.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    runTasks();
                } else if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                    if (hs == HandshakeStatus.NEED_UNWRAP) {
                        awaitReader(); // a renegotiation: only the reader can move it on
                    } else if (++idle > MAX_IDLE_LOOPS) {
                        throw new SSLException("the TLS engine makes no progress writing");
                    }
                }
            }
        } finally {
            writeLock.unlock();
        }
        if (wrapPending) {
            wrapPendingIfFree(); // the reader asked while we held the lock (see afterUnwrap)
        }
        return total;
    }

    /** Writer, holding writeLock: lets the reader unwrap (and wrap its answers) for a while. */
    private void awaitReader() throws IOException {
        if (!socket.isOpen()) {
            throw new ClosedChannelException();
        }
        writerWaiting = true;
        try {
            readProgress.awaitNanos(RENEGOTIATION_POLL_NANOS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during a TLS renegotiation");
        } finally {
            writerWaiting = false;
        }
    }

    /** Wraps handshake messages (no application data) while the engine asks for it. */
    private HandshakeStatus wrapHandshake() throws IOException {
        writeLock.lock();
        try {
            HandshakeStatus hs = engine.getHandshakeStatus();
            while (hs == HandshakeStatus.NEED_WRAP) {
                netOut.clear();
                SSLEngineResult r;
                try {
                    r = engine.wrap(EMPTY, netOut);
                } finally {
                    netOut.flip();
                }
                flush();
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    netOut = grow(netOut, engine.getSession().getPacketBufferSize(), true);
                } else if (r.getStatus() == SSLEngineResult.Status.CLOSED && r.bytesProduced() == 0) {
                    return engine.getHandshakeStatus(); // nothing more to send: the caller sees the engine closed
                }
                hs = r.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    runTasks();
                    hs = engine.getHandshakeStatus();
                }
            }
            return hs;
        } finally {
            writeLock.unlock();
        }
    }

    /** After a failed handshake: one best-effort wrap so the peer learns why (a TLS alert). */
    private void sendAlert() {
        writeLock.lock();
        try {
            engine.closeOutbound();
            netOut.clear();
            try {
                engine.wrap(EMPTY, netOut);
            } finally {
                netOut.flip();
            }
            flush();
        } catch (IOException | RuntimeException e) {
            // the connection is failing anyway
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes all of {@code netOut}; holding writeLock. */
    private void flush() throws IOException {
        while (netOut.hasRemaining()) {
            socket.write(netOut);
        }
    }

    // ---- shared ------------------------------------------------------------------------------

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run(); // certificate checks and key agreement, on this virtual thread
        }
    }

    /** A larger copy of {@code b} (same mode), at most {@link #MAX_BUFFER}; fails if none is possible. */
    private static ByteBuffer grow(ByteBuffer b, int wanted, boolean readMode) throws SSLException {
        int size = Math.min(Math.max(wanted, b.capacity() * 2), MAX_BUFFER);
        if (size <= b.capacity()) {
            throw new SSLException("TLS buffer would need more than " + MAX_BUFFER + " bytes");
        }
        ByteBuffer bigger = ByteBuffer.allocate(size);
        if (readMode) {
            bigger.put(b).flip();
        } else {
            b.flip();
            bigger.put(b);
        }
        return bigger;
    }

    private static boolean remaining(ByteBuffer[] srcs, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (srcs[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    /** Closes the socket (not a TLS close_notify: tofu's ByeRequest/ByeResponse end a session). */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
