package dev.tofu.internal.engine;

import dev.tofu.Address;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.io.ChannelHost;
import dev.tofu.internal.io.ChannelReader;
import dev.tofu.internal.io.ChannelWriter;
import dev.tofu.internal.io.Connector;
import dev.tofu.internal.io.Outbox;
import dev.tofu.internal.io.Sockets;
import dev.tofu.internal.io.TlsTransport;
import dev.tofu.internal.message.MessageStore;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Optional;

/**
 * A connected channel (client or accepted server end) over one blocking stream socket, TCP or
 * Unix-domain (PROTOCOL.md §5.3–§5.5): the coordinator of its socket-side parts, each owning one
 * thread's state (dev.tofu.internal.io): the {@link Connector} (clients), the
 * {@link ChannelReader} and the {@link ChannelWriter} (its write strategy chosen here, once). This
 * class owns the lifecycle (through {@link Channel}), the socket and its close, the watchdog's
 * checks, peer credentials and the limit slots, and answers the parts' questions
 * ({@link ChannelHost}).
 *
 * <p>Threads: a client's connector runs on the {@code writer} virtual thread: it connects, starts
 * the {@code reader} job, then writes. An accepted channel starts both jobs at once; with TLS its
 * reader runs the handshake first and its writer waits for it. Application threads only
 * {@link #accept} messages (through the writer's strategy) or start a close; the watchdog calls
 * {@link #checkTimeouts}. {@code socket} and {@code tls} are written once (by the connector's
 * thread, or before the jobs start for accepted channels) and read by any thread.
 *
 * <p>Invariants: the write strategy never changes after construction. {@link #closeTransport}
 * (any thread, idempotent) stops the outbox before it closes the socket, so a waiting writer
 * returns and a blocked read or write fails at once; a socket published after a close began is
 * closed at once ({@link #publish}). The parts report every failure through
 * {@link #startClose}, so the lifecycle alone decides who closes and with which status.
 */
final class IoChannel extends Channel implements ChannelHost {
    private static final Logger LOG = LoggerFactory.getLogger(IoChannel.class);

    private final boolean client;
    private final ListenerChannel listener;           // the accepting listener, null for clients
    private final long openedAt = System.nanoTime();
    private final Outbox outbox = new Outbox();
    private final ChannelWriter writer;
    private final ChannelReader reader;
    private volatile SocketChannel socket;
    private volatile TlsTransport tls;               // Options.withTls on a TCP channel; set before the reader starts

    IoChannel(Engine engine, Group group, boolean client, long channelMessageId, ListenerChannel listener) {
        super(engine, group, !client, channelMessageId);
        this.client = client;
        this.listener = listener;
        this.writer = ChannelWriter.create(engine.options.directWrite(), this, outbox, engine.pool,
                engine.writeStaging, engine.options.maxOutboundPerChannel());
        this.reader = new ChannelReader(this, engine.pool, engine.readBuffers, engine.options.readSpin().toNanos(),
                engine.watchdog.enabled(), engine.watchdog.tracksFrameStarts(), openedAt);
    }

    @Override
    String kind() {
        return client ? "client" : "server";
    }

    /** Client: queues the HelloRequest and starts the connector. */
    void startClient(MessageStore hello) {
        outbox.offer(hello);
        engine.watchdog.watch(this);
        startJob("writer", this::connectThenWrite);
        released();
    }

    /** Accepted channel: adopts the socket and starts both jobs. */
    void startAccepted(SocketChannel accepted) {
        socket = accepted;
        tls = TlsTransport.forAccepted(engine.options, accepted);
        if (tls == null) {
            writer.connected(accepted); // with TLS, the reader connects it once the handshake is done
        }
        opened(Sockets.address(accepted));
        engine.watchdog.watch(this);
        if (life.isClosing()) {
            closeTransport();
        }
        startJob("reader", this::read);
        startJob("writer", () -> writer.run(tls));
        released();
    }

    @Override
    void accept(MessageStore m, int opCode) {
        if (opCode == OpCode.BYE_SIGNAL.code() && beginClose(Status.CHANNEL_CLOSED, m)) {
            return; // §5.5.2: abortive close; the ByeSignal comes back first in the bundle
        }
        writer.post(m, opCode);
    }

    /**
     * Watchdog: closes the channel with COMMUNICATION_FAILED if a configured timeout has passed.
     * Only reads volatile clocks; never blocks.
     */
    void checkTimeouts(long now) {
        if (life.isClosing()) {
            return;
        }
        String late = engine.watchdog.overdue(now, !client && !reader.heardFrame(), openedAt, reader.lastHeard(),
                reader.frameStartedAt());
        if (late != null && beginClose(Status.COMMUNICATION_FAILED, null)) {
            LOG.debug("channel {} ({}): {}", number, kind(), late);
        }
    }

    @Override
    void afterClose() {
        engine.watchdog.forget(this);
        engine.releaseConnection();
        if (listener != null) {
            listener.releaseSlot();
        }
    }

    @Override
    void closeTransport() {
        outbox.stop();
        SocketChannel s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("channel {}: close failed", number, e);
            }
        }
    }

    @Override
    List<MessageStore> drainUnsent() {
        return outbox.closeAndDrain();
    }

    /** The peer's user and group for a connected Unix-domain channel; empty otherwise. */
    Optional<UnixDomainPrincipal> peerCredentials() {
        SocketChannel s = socket;
        if (s == null || !life.snapshot().state().equals(ChannelLifecycle.State.OPEN)) {
            return Optional.empty();
        }
        try {
            if (!(s.getLocalAddress() instanceof UnixDomainSocketAddress)) {
                return Optional.empty();
            }
            return Optional.of(s.getOption(ExtendedSocketOptions.SO_PEERCRED));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("channel {}: no peer credentials", number, e);
            return Optional.empty();
        }
    }

    // ---- the jobs -------------------------------------------------------------------------

    /** Client, on the writer thread: connects, starts the reader, then writes. */
    private void connectThenWrite() {
        MessageStore hello = outbox.peekFirst();
        Connector.Connection c;
        try {
            c = new Connector(this, engine.options).connect(Address.of(ACCESS.view(hello)));
        } catch (TofuException e) { // the HelloRequest's address
            failConnect(e.status(), e);
            return;
        } catch (Connector.Failure e) {
            failConnect(e.status(), e.getCause());
            return;
        }
        if (c == null) {
            return; // a close began while connecting; it reports itself
        }
        tls = c.tls();
        writer.connected(c.tls() != null ? c.tls() : c.socket());
        if (!life.opened()) {
            return; // a close began while connecting; closeTransport() has or will close the socket
        }
        String address = Sockets.address(c.socket());
        LOG.debug("channel {} (client) connected to {}", number, address);
        opened(address);
        startJob("reader", this::read);
        writer.run(null);
    }

    /** The connect failed with {@code failure}: the HelloRequest comes back as a HelloResponse saying why (~error). */
    private void failConnect(Status status, Throwable failure) {
        MessageStore hello = outbox.pollFirst();
        hello.setOpCodeRaw(OpCode.HELLO_RESPONSE.code()); // §9 item 9: failures come back as HelloResponse
        if (!beginClose(status, hello, failure)) {
            MessageStore[] one = {hello};
            hello.setOpCodeRaw(OpCode.HELLO_REQUEST.code());
            outbox.pushBackFront(one, 0, 1); // a close already began: it goes back with the unsent
        }
    }

    /** The reader job: an accepted TLS channel's handshake first, then the reader's loop. */
    private void read() {
        TlsTransport t = tls;
        if (t != null && !client && !serverHandshake(t)) {
            return;
        }
        if (t != null) {
            reader.run(t, null);
        } else {
            reader.run(socket, socket);
        }
    }

    /** Accepted TLS channel, on the reader: the handshake, then the writer may write. */
    private boolean serverHandshake(TlsTransport t) {
        boolean ok = false;
        try {
            t.handshake();
            writer.connected(t); // before release(): the writer reads it once let through
            ok = true;
        } catch (IOException e) {
            if (!life.isClosing()) {
                LOG.debug("channel {}: TLS handshake from {} failed: {}", number, Sockets.address(socket), e.toString());
                beginClose(Status.ACCEPT_FAILED, null, e);
            }
        } finally {
            t.release(ok);
        }
        return ok;
    }

    // ---- ChannelHost: what the reader, writer and connector ask of the channel ----------------

    @Override
    public int number() {
        return number;
    }

    @Override
    public boolean isClosing() {
        return life.isClosing();
    }

    @Override
    public Status peerLossReason() {
        return life.peerLossReason();
    }

    @Override
    public boolean startClose(Status reason, Throwable failure) {
        return beginClose(reason, null, failure);
    }

    @Override
    public void byeResponseWritten() {
        life.byeResponseWritten();
    }

    @Override
    public void publish(SocketChannel s) throws ClosedChannelException {
        socket = s;
        if (life.isClosing()) {
            closeTransport();
            throw new ClosedChannelException();
        }
    }

    @Override
    public boolean deliver(MessageStore[] frames, int n) throws InterruptedException {
        return group.deliverFrames(frames, n, number);
    }

    @Override
    public void firstFrame(long messageId) {
        channelMessageId = messageId;
    }

    @Override
    public void poolEmpty() {
        group.deliverNotice(engine.notice(number, Status.POOL_EMPTY, 0));
    }

    @Override
    public int receiveQueued() {
        return group.queued();
    }

    @Override
    public void countIn(int n, long bytes) {
        engine.counters.traffic.countIn(n, bytes);
    }

    @Override
    public void countOut(int n, long bytes) {
        engine.counters.traffic.countOut(n, bytes);
    }
}
