package dev.tofu.internal.engine;

import dev.tofu.OpCode;
import dev.tofu.Address;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.PostRules;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.FrameWriter;
import dev.tofu.internal.wire.ProtocolViolationException;
import dev.tofu.internal.wire.ReceiveRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A connected channel (client or accepted server end) over one blocking stream socket, TCP or
 * Unix-domain (PROTOCOL.md §5.3–§5.5).
 *
 * <p>Threads: a client's connector job runs on the {@code writer} virtual thread: it connects,
 * starts the {@code reader} job, then writes. An accepted channel starts both jobs at once. The
 * reader alone reads the socket and delivers frames in arrival order; the writer alone writes, in
 * post order, from the {@link Outbox}. Application threads only {@link #accept} messages into the
 * outbox or start a close. {@code socket} is written once (by the connector, or before start for
 * accepted channels) and read by any thread to close it.
 *
 * <p>Write rules: after a ByeRequest is written, only a ByeResponse may follow (so simultaneous
 * ByeRequests cannot deadlock); after a ByeResponse is written, nothing, and the channel closes by
 * itself if the peer has not closed within {@link #BYE_SAFETY_CLOSE_NANOS}.
 */
final class IoChannel extends Channel {
    private static final Logger LOG = LoggerFactory.getLogger(IoChannel.class);
    /** §5.5.1: the ByeResponse sender closes by itself this long after writing it. */
    static final long BYE_SAFETY_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final int READ_BUFFER = 4096;
    /** Most frames the writer takes for one write (64 frames of 80 bytes fill a third of its staging buffer). */
    private static final int BATCH = FrameWriter.MAX_BATCH;
    /** Most frames a reader delivers from one socket read at a time (a 4 KiB read holds up to 51 frames of 80 bytes). */
    private static final int READ_BATCH = 64;
    /** A reader or writer that just moved at least this many frames yields before its next socket call (see read, write). */
    static final int YIELD_BATCH = 4;
    /** Direct writes: a post this soon after the previous one goes to the writer (see worthWritingDirectly). */
    static final long DIRECT_IDLE_NANOS = 10_000L;

    private final boolean client;
    private final boolean directWrite;
    private final int maxOutbound;
    private final ListenerChannel listener;           // the accepting listener, null for clients
    private final long openedAt = System.nanoTime();
    private volatile long lastHeard = openedAt;      // kept only when the watchdog is on
    private volatile boolean heardFrame;             // kept only when the watchdog is on
    private volatile FrameReader in;                 // set when the reader starts
    private final Outbox outbox = new Outbox();
    private final MessageStore[] direct = new MessageStore[1]; // guarded by the outbox's writing rights
    private volatile long lastPostNanos = System.nanoTime() - DIRECT_IDLE_NANOS; // direct writes: a hint
    private volatile SocketChannel socket;
    private volatile TlsTransport tls;               // Options.withTls on a TCP channel; set before the reader starts
    private volatile FrameWriter out;                // set once the socket is connected
    private boolean firstFrameSeen; // reader thread only
    private boolean byeRequestWritten; // writer thread only: after it, only a ByeResponse may be written

    IoChannel(Engine engine, Group group, boolean client, long channelMessageId, ListenerChannel listener) {
        super(engine, group, !client, channelMessageId);
        this.client = client;
        this.directWrite = engine.options.directWrite();
        this.maxOutbound = engine.options.maxOutboundPerChannel();
        this.listener = listener;
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
            out = new FrameWriter(accepted, engine.writeStaging); // with TLS, set by the reader once the handshake is done
        }
        opened(address(accepted));
        engine.watchdog.watch(this);
        if (life.isClosing()) {
            closeTransport();
        }
        startJob("reader", this::read);
        startJob("writer", this::write);
        released();
    }

    @Override
    void accept(MessageStore m, int opCode) {
        if (opCode == OpCode.BYE_SIGNAL.code() && beginClose(Status.CHANNEL_CLOSED, m)) {
            return; // §5.5.2: abortive close; the ByeSignal comes back first in the bundle
        }
        // an interrupted caller never writes: the JDK would close the socket (ClosedByInterruptException)
        // and with it the channel; the writer thread sends the frame, and the caller keeps its flag
        if (directWrite && opCode <= OpCode.SIGNAL.code() && out != null && !Thread.currentThread().isInterrupted()
                && worthWritingDirectly() && outbox.tryClaimDirect()) {
            writeDirect(m);
            return;
        }
        int offered = outbox.offer(m, maxOutbound);
        if (offered == Outbox.CLOSED) {
            throw PostRules.fail(m, Status.INVALID_CHANNEL_NUMBER, "channel " + number + " is closed");
        }
        if (offered == Outbox.FULL) {
            throw PostRules.fail(m, Status.SEND_FAILED, "channel " + number + ": " + maxOutbound
                    + " messages already wait to be written (Options.maxOutboundPerChannel); the peer reads too slowly");
        }
    }

    /**
     * Watchdog: closes the channel with COMMUNICATION_FAILED if a configured timeout has passed.
     * Only reads volatile clocks; never blocks.
     */
    void checkTimeouts(long now) {
        if (life.isClosing()) {
            return;
        }
        FrameReader r = in;
        String late = engine.watchdog.overdue(now, !client && !heardFrame, openedAt, lastHeard,
                r == null ? 0 : r.frameStartedAt());
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

    /**
     * Options.directWrite is adaptive: a post writes directly only when it looks like the one
     * request (or response) of a request/response exchange at low rate, where saving the writer's
     * wake-up matters: at least {@link #DIRECT_IDLE_NANOS} after the previous post on this channel,
     * and with nothing waiting in the group's receive queue (a consumer with more messages to
     * handle will likely post again soon, as a server loop answering many channels does). Other
     * posts go to the writer, which batches what queues up into one gathering write; writing each
     * of them directly would cost one system call per message and serialise every channel's writes
     * on the posting thread. Any thread may post: {@code lastPostNanos} is a hint, and a lost
     * update only changes which path one post takes.
     */
    private boolean worthWritingDirectly() {
        long now = System.nanoTime();
        long previous = lastPostNanos;
        lastPostNanos = now;
        return now - previous >= DIRECT_IDLE_NANOS && group.queued() == 0;
    }

    /**
     * Options.directWrite: the posting thread writes its frame itself because the outbox was idle
     * (it holds the outbox's writing rights), saving the hand-off to the writer thread. Never on a
     * thread whose interrupt flag is set ({@link #accept} checks): an interrupted thread's channel
     * IO closes the socket. An interrupt that arrives while this write runs still closes it (the
     * JDK offers no uninterruptible socket write); the channel then closes with SEND_FAILED.
     */
    private void writeDirect(MessageStore m) {
        // `direct` belongs to whoever holds the writing rights: fill and clear it only before
        // doneWriting(), after which another poster may claim the rights and the slot.
        direct[0] = m;
        try {
            out.write(direct, 1);
        } catch (IOException e) {
            if (out.completed() == 0) {
                direct[0] = null;
                outbox.pushBackFront(new MessageStore[] {m}, 0, 1); // returned in the close bundle
            } else {
                countWritten(direct, 1); // clears direct[0]
            }
            outbox.doneWriting(false);
            if (!life.isClosing()) {
                beginClose(isPeerLoss(e) ? life.peerLossReason() : Status.SEND_FAILED, null, e);
            }
            return;
        }
        countWritten(direct, 1); // clears direct[0]
        outbox.doneWriting(false);
    }

    private void countWritten(MessageStore[] batch, int n) {
        if (n == 0) {
            return;
        }
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            if (LOG.isTraceEnabled()) {
                LOG.trace("channel {} sent {}", number, batch[i]);
            }
            bytes += FrameHeader.SIZE + batch[i].headers().length() + batch[i].body().length();
        }
        engine.counters.messagesOut.add(n);
        engine.counters.bytesOut.add(bytes);
        engine.pool.recycleAll(batch, n, number); // clears the slots; the channel's home stripe, where its reader takes
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

    // ---- connector (client channels, on the writer thread) -------------------------------

    private void connectThenWrite() {
        MessageStore hello = outbox.peekFirst();
        SocketChannel s;
        Address target;
        try {
            target = Address.of(ACCESS.view(hello));
            s = connect(target);
        } catch (TofuException e) {
            failConnect(e.status(), e);
            return;
        } catch (UnresolvedAddressException e) {
            failConnect(Status.INVALID_ADDRESS, e);
            return;
        } catch (IOException e) {
            if (!life.isClosing()) {
                LOG.debug("channel {}: connect failed", number, e);
                failConnect(e instanceof ConnectException ? Status.CONNECT_FAILED
                        : e instanceof java.nio.file.NoSuchFileException ? Status.UDS_PATH_NOT_FOUND
                        : Status.CONNECT_FAILED, e);
            }
            return;
        }
        TlsTransport t = TlsTransport.forClient(engine.options, s, target);
        if (t != null) {
            try {
                t.handshake(); // before the reader starts: it reads through the TLS end
            } catch (IOException e) {
                if (!life.isClosing()) {
                    LOG.debug("channel {}: TLS handshake with {} failed: {}", number, address(s), e.toString());
                    failConnect(Status.CONNECT_FAILED, e);
                }
                return;
            }
            tls = t;
        }
        out = new FrameWriter(t != null ? t : s, engine.writeStaging);
        if (!life.opened()) {
            return; // a close began while connecting; closeTransport() has or will close s
        }
        LOG.debug("channel {} (client) connected to {}", number, address(s));
        opened(address(s));
        startJob("reader", this::read);
        write();
    }

    private SocketChannel connect(Address address) throws IOException {
        SocketChannel s;
        if (address instanceof Address.UdsClient uds) {
            Path path = Path.of(uds.path());
            if (uds.path().isEmpty() || !Files.exists(path)) {
                throw new TofuException(Status.UDS_PATH_NOT_FOUND, "no socket file at '" + uds.path() + "'");
            }
            s = SocketChannel.open(StandardProtocolFamily.UNIX);
            publish(s);
            s.connect(UnixDomainSocketAddress.of(path));
        } else if (address instanceof Address.TcpClient tcp) {
            InetSocketAddress target = new InetSocketAddress(tcp.host().isEmpty() ? Address.DEFAULT_CLIENT_HOST : tcp.host(), tcp.port());
            if (target.isUnresolved()) {
                throw new TofuException(Status.INVALID_ADDRESS, "cannot resolve '" + tcp.host() + "'");
            }
            s = SocketChannel.open(target.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            publish(s);
            try {
                SocketTuning.apply(s, engine.options);
            } catch (IOException | UnsupportedOperationException e) {
                throw new TofuException(Status.SETSOCKOPT_FAILED, "socket options failed: " + e.getMessage(), e);
            }
            s.connect(target);
            if (s.getLocalAddress().equals(s.getRemoteAddress())) {
                // TCP simultaneous open: connecting to a free port in the ephemeral range can pick
                // that very port as the source and connect the socket to itself. Nobody listens.
                throw new ConnectException("connected to itself (nobody listens on " + target + ")");
            }
        } else {
            throw new TofuException(Status.INVALID_ADDRESS, "a HelloRequest needs a " + Address.CONNECT_TO + " address");
        }
        return s;
    }

    /** Makes {@code s} visible to closers; closes it at once if a close already began. */
    private void publish(SocketChannel s) throws ClosedChannelException {
        socket = s;
        if (life.isClosing()) {
            closeTransport();
            throw new ClosedChannelException();
        }
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

    // ---- reader -----------------------------------------------------------------------------

    private void read() {
        TlsTransport tls = this.tls;
        if (tls != null && !client && !serverHandshake(tls)) {
            return;
        }
        java.nio.ByteBuffer buffer = engine.readBuffers.borrow();
        try {
            readFrames(new FrameReader(tls != null ? tls : socket, buffer));
        } finally {
            engine.readBuffers.giveBack(buffer);
        }
    }

    private void readFrames(FrameReader in) {
        boolean clocks = engine.watchdog.enabled();
        if (engine.watchdog.tracksFrameStarts()) {
            in.trackFrameStarts();
        }
        this.in = in;
        FrameHeader h = new FrameHeader();
        MessageStore[] batch = new MessageStore[READ_BATCH];
        ReadSpin spin = readSpin();
        try {
            while (readNext(in, h, batch, spin, clocks)) {
                // one socket read per call: see readNext
            }
        } catch (ProtocolViolationException e) {
            LOG.debug("channel {}: {}", number, e.getMessage());
            beginClose(Status.RECV_FAILED, null, e);
        } catch (EOFException e) {
            beginClose(life.peerLossReason(), null);
        } catch (IOException e) {
            if (!life.isClosing()) {
                beginClose(isPeerLoss(e) ? life.peerLossReason() : Status.RECV_FAILED, null, e);
            }
        } catch (InterruptedException e) {
            beginClose(Status.RECV_FAILED, null);
        }
    }

    /**
     * One round of the reader: waits for the next frame, reads it and the frames buffered after
     * it, and delivers them. A method of its own, called once per round, and not the body of the
     * reader's endless loop: HotSpot compiles a loop that never returns only by on-stack
     * replacement, and when such code hits an uncommon trap (a branch it had never seen taken)
     * each reader's frame falls back to the interpreter or to profiling code until the loop is
     * compiled again (seen here: after one such trap, the readers of a 16-channel pipeline ran
     * tier-3 profiling code for the rest of a 4-second run). A method called per round is
     * compiled, and after a trap recompiled, like any other; only the trivial loop around it is
     * left to on-stack replacement.
     *
     * @return false when the reader must stop (the channel is closing, or the group is gone)
     */
    private boolean readNext(FrameReader in, FrameHeader h, MessageStore[] batch, ReadSpin spin, boolean clocks)
            throws IOException, InterruptedException {
        if (spin != null && !in.hasBuffered()) {
            spin.awaitReadable(); // Options.readSpin: the next frame may come before a park would end
        }
        if (!in.readHeader(h)) { // the only wait for the peer, with nothing held
            beginClose(life.peerLossReason(), null);
            return false;
        }
        ReceiveRules.check(h);
        int taken = takeReceiveMessages(batch, 1 + in.completeFramesBuffered(h.thl + h.bl, READ_BATCH - 1));
        if (taken == 0 || !readBatch(in, h, batch, taken, clocks)) {
            return false;
        }
        if (taken >= YIELD_BATCH && !in.hasBuffered()) {
            // Under load (several frames per read) let the other virtual threads run before
            // reading again, so more frames have arrived: fewer, fuller reads and fewer reads that
            // find nothing and park on the poller. One frame per read (request/response at low
            // rate) never yields: no added latency.
            Thread.yield();
        }
        return true;
    }

    /** Options.readSpin for this reader: only a virtual thread reading a plain socket spins. */
    private ReadSpin readSpin() {
        long nanos = engine.options.readSpin().toNanos();
        if (nanos == 0 || tls != null || !Thread.currentThread().isVirtual()) {
            return null;
        }
        return new ReadSpin(nanos, Channels.newInputStream(socket));
    }

    /**
     * Reads the frame whose header {@code h} holds, then the frames after it that are already
     * buffered, into {@code batch[0, taken)} (messages taken from the pool for exactly those
     * frames), and delivers them to the group together: one pool acquisition, one queue insertion
     * and one consumer wake-up per socket read rather than per frame. Only the first frame's
     * sections may wait for the peer, and nothing read is held back across a wait. A ByeResponse or
     * ByeSignal ends the batch and closes the channel (§5.5.1 / §5.5.4: the receiver closes). On a
     * read error or a frame §1.8 rejects, the frames before it are delivered first.
     *
     * @return false when the reader must stop (closed, or the group is gone)
     */
    private boolean readBatch(FrameReader in, FrameHeader h, MessageStore[] batch, int taken, boolean clocks)
            throws IOException, InterruptedException {
        int filled = 0;
        long bytes = 0;
        boolean bye = false;
        try {
            while (true) {
                MessageStore m = batch[filled];
                in.readSections(h, m);
                filled++;
                bytes += FrameHeader.SIZE + h.thl + h.bl;
                m.setChannel(number);
                if (!firstFrameSeen) {
                    firstFrameSeen = true;
                    channelMessageId = h.messageId;
                }
                if (LOG.isTraceEnabled()) {
                    LOG.trace("channel {} received {}", number, m);
                }
                int op = h.opCode();
                if (op == OpCode.BYE_RESPONSE.code() || op == OpCode.BYE_SIGNAL.code()) {
                    bye = true;
                    break;
                }
                if (filled == taken || !in.readHeader(h)) { // buffered: no wait
                    break;
                }
                ReceiveRules.check(h);
            }
        } catch (IOException e) {
            deliver(batch, filled, taken, bytes, clocks); // what came before the error, then the close
            throw e;
        }
        if (!deliver(batch, filled, taken, bytes, clocks)) {
            return false; // the group is gone
        }
        if (bye) {
            beginClose(Status.CHANNEL_CLOSED, null);
            return false;
        }
        return true;
    }

    /** Gives back {@code batch[filled, taken)} and delivers {@code batch[0, filled)}; false if the group is gone. */
    private boolean deliver(MessageStore[] batch, int filled, int taken, long bytes, boolean clocks)
            throws InterruptedException {
        for (int i = filled; i < taken; i++) {
            engine.pool.recycle(batch[i]);
            batch[i] = null;
        }
        if (filled == 0) {
            return true;
        }
        if (clocks) {
            lastHeard = System.nanoTime();
            heardFrame = true;
        }
        engine.counters.messagesIn.add(filled);
        engine.counters.bytesIn.add(bytes);
        return group.deliverFrames(batch, filled, number);
    }

    /** Accepted TLS channel, on the reader: the handshake, then the writer may write. */
    private boolean serverHandshake(TlsTransport tls) {
        boolean ok = false;
        try {
            tls.handshake();
            out = new FrameWriter(tls, engine.writeStaging); // before release(): the writer reads it once let through
            ok = true;
        } catch (IOException e) {
            if (!life.isClosing()) {
                LOG.debug("channel {}: TLS handshake from {} failed: {}", number, address(socket), e.toString());
                beginClose(Status.ACCEPT_FAILED, null, e);
            }
        } finally {
            tls.release(ok);
        }
        return ok;
    }

    /**
     * Takes up to {@code wanted} pooled messages to read into, into {@code batch}; on an empty pool,
     * waits for one ({@link #awaitReceiveMessage}).
     *
     * @return how many were taken; 0 when the channel or the pool closed while waiting
     */
    private int takeReceiveMessages(MessageStore[] batch, int wanted) throws InterruptedException {
        int n = engine.pool.tryTakeForEngine(batch, wanted, number); // the home stripe its writer keeps to
        if (n > 0) {
            return n;
        }
        MessageStore m = awaitReceiveMessage();
        if (m == null) {
            return 0;
        }
        batch[0] = m;
        return 1;
    }

    /**
     * The pool was just found empty: one pool_empty Signal per episode (§6.6), then a wait for a
     * message to read into; null when the channel or the pool closes meanwhile. The reader gets in
     * line (MessagePool.enlist) before the Signal goes out, so a message the application puts back
     * in answer goes to a waiting reader, never to another channel's non-waiting take.
     */
    private MessageStore awaitReceiveMessage() throws InterruptedException {
        ChannelEvents.BackPressure event = new ChannelEvents.BackPressure();
        long start = System.nanoTime();
        MessagePool.Waiter inLine = engine.pool.enlist();
        try {
            group.deliverNotice(engine.notice(number, Status.POOL_EMPTY, 0));
            LOG.debug("channel {}: pool empty, reading paused", number);
            event.begin();
            while (!life.isClosing() && !engine.pool.isClosed()) {
                MessageStore m = engine.pool.awaitForEngine(inLine, TimeUnit.MILLISECONDS.toNanos(100));
                if (m != null) {
                    return m;
                }
            }
            return null;
        } finally {
            engine.pool.withdraw(inLine); // a message handed to it but not taken goes to the next waiter
            event.end();
            if (event.shouldCommit()) {
                event.channel = number;
                event.cause = "pooled message";
                event.waitedNanos = System.nanoTime() - start;
                event.commit();
            }
        }
    }

    // ---- writer -----------------------------------------------------------------------------

    private void write() {
        try {
            if (tls != null && !client && !tls.awaitHandshake()) {
                return; // the reader closes the channel
            }
        } catch (InterruptedException e) {
            beginClose(Status.SEND_FAILED, null);
            return;
        }
        FrameWriter out = this.out;
        MessageStore[] batch = new MessageStore[BATCH];
        try {
            while (writeNext(out, batch)) {
                // one gathering write per call: see writeNext
            }
        } catch (InterruptedException e) {
            beginClose(Status.SEND_FAILED, null);
        }
    }

    /**
     * One round of the writer: takes what the outbox holds (up to a batch) and writes it with one
     * gathering write. A method of its own for the reason given at {@link #readNext}.
     *
     * @return false when the writer must stop
     */
    private boolean writeNext(FrameWriter out, MessageStore[] batch) throws InterruptedException {
        int n;
        if (!byeRequestWritten) {
            n = outbox.takeBatch(batch, BATCH, Long.MAX_VALUE);
        } else {
            MessageStore r = outbox.takeByeResponse(Long.MAX_VALUE);
            batch[0] = r;
            n = r == null ? 0 : 1;
        }
        if (n == 0) {
            outbox.awaitStopped(Long.MAX_VALUE); // stopped, or a ByeSignal waits at the head
            return false;
        }
        int last = batch[n - 1].opCodeRaw();
        boolean bye = last == OpCode.BYE_REQUEST.code() || last == OpCode.BYE_RESPONSE.code();
        if (last == OpCode.BYE_RESPONSE.code()) {
            // before the write: the peer closes as soon as it reads the ByeResponse, and our
            // reader may see that close before this thread runs again (§5.5.1: not a peer loss)
            life.byeResponseWritten();
        }
        try {
            out.write(batch, n);
        } catch (IOException e) {
            int done = out.completed();
            countWritten(batch, done); // written before the failure: gone to the peer
            outbox.pushBackFront(batch, done, n);
            outbox.doneWriting(bye);
            if (!life.isClosing()) {
                beginClose(isPeerLoss(e) ? life.peerLossReason() : Status.SEND_FAILED, null, e);
            }
            return false;
        }
        countWritten(batch, n);
        outbox.doneWriting(bye);
        if (n >= YIELD_BATCH) {
            Thread.yield(); // as the reader: under load, let the posters fill the next batch
        }
        if (last == OpCode.BYE_RESPONSE.code()) {
            if (!outbox.awaitStopped(BYE_SAFETY_CLOSE_NANOS)) {
                beginClose(Status.CHANNEL_CLOSED, null); // the peer did not close: §5.5.1 safety close
            }
            return false;
        }
        if (last == OpCode.BYE_REQUEST.code()) {
            byeRequestWritten = true;
        }
        return true;
    }

    /** The peer's user and group for a connected Unix-domain channel; empty otherwise. */
    java.util.Optional<jdk.net.UnixDomainPrincipal> peerCredentials() {
        SocketChannel s = socket;
        if (s == null || !life.snapshot().state().equals(ChannelLifecycle.State.OPEN)) {
            return java.util.Optional.empty();
        }
        try {
            if (!(s.getLocalAddress() instanceof UnixDomainSocketAddress)) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(s.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("channel {}: no peer credentials", number, e);
            return java.util.Optional.empty();
        }
    }

    /** The peer address of {@code s} for logs and events. */
    private static String address(SocketChannel s) {
        try {
            return String.valueOf(s.getRemoteAddress());
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean isPeerLoss(IOException e) {
        if (e instanceof SocketException) {
            String text = String.valueOf(e.getMessage());
            return text.contains("reset") || text.contains("Broken pipe") || text.contains("Connection abort");
        }
        String text = String.valueOf(e.getMessage());
        return text.contains("Connection reset") || text.contains("Broken pipe");
    }
}
