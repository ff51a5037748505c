package dev.tofu.internal.io;

import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.ProtocolViolationException;
import dev.tofu.internal.wire.ReceiveRules;
import dev.tofu.internal.wire.StagingBuffers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The reading half of a connected channel: reads frames from the socket, checks them (PROTOCOL.md
 * §1.8), reads each into a pooled message and delivers them to the channel's group in arrival
 * order, a socket read's worth at a time.
 *
 * <p>Threads: {@link #run} and everything it calls run on the channel's reader thread
 * ({@code tofu-ch-<n>-reader}), the only thread that reads the socket. The watchdog reads the
 * clocks ({@link #lastHeard}, {@link #heardFrame}, {@link #frameStartedAt}) from its own thread:
 * they are volatile and written only here. {@code firstFrameSeen} is the reader thread's alone.
 *
 * <p>Invariants: a frame is delivered only after every frame read before it; after a read error
 * or a frame §1.8 rejects, the frames before it are delivered, then the channel closes. Messages
 * taken from the pool for frames that did not come go back to it. The only waits are for the
 * peer (with nothing held back that was read), for room in the group's queue (back-pressure) and
 * for a pooled message when the pool is empty.
 */
public final class ChannelReader {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelReader.class);
    /** Size of the direct buffer each reader borrows while it runs. */
    public static final int READ_BUFFER = 4096;
    /** Most frames delivered from one socket read at a time (a 4 KiB read holds up to 51 frames of 80 bytes). */
    private static final int READ_BATCH = 64;
    /** A reader that just delivered at least this many frames yields before its next read (see {@link #readNext}). */
    static final int YIELD_BATCH = 4;
    /** How long one pool wait lasts before the lifecycle is checked again. */
    private static final long POOL_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    // compared on every frame: static finals the JIT folds
    private static final int BYE_RESPONSE = OpCode.BYE_RESPONSE.code();
    private static final int BYE_SIGNAL = OpCode.BYE_SIGNAL.code();

    private final ChannelHost host;
    private final MessagePool pool;
    private final StagingBuffers buffers;
    private final long spinNanos;           // Options.readSpin; 0: off
    private final boolean clocks;           // the watchdog wants lastHeard and heardFrame
    private final boolean trackFrameStarts; // the watchdog wants frameStartedAt
    private volatile FrameReader in;        // set when the reader starts
    private volatile long lastHeard;        // kept only with clocks
    private volatile boolean heardFrame;    // kept only with clocks
    private boolean firstFrameSeen;         // reader thread only

    /**
     * A reader for the channel {@code host}, taking messages from {@code pool} and a read buffer
     * from {@code buffers}.
     *
     * @param spinNanos        Options.readSpin in nanoseconds (0: never spin)
     * @param clocks           whether to keep the watchdog's clocks
     * @param trackFrameStarts whether the watchdog checks the frame timeout
     * @param openedAt         when the channel opened ({@code System.nanoTime()}): the first lastHeard
     */
    public ChannelReader(ChannelHost host, MessagePool pool, StagingBuffers buffers, long spinNanos,
                         boolean clocks, boolean trackFrameStarts, long openedAt) {
        this.host = host;
        this.pool = pool;
        this.buffers = buffers;
        this.spinNanos = spinNanos;
        this.clocks = clocks;
        this.trackFrameStarts = trackFrameStarts;
        this.lastHeard = openedAt;
    }

    /** Watchdog: when a frame last arrived (or the channel opened). */
    public long lastHeard() {
        return lastHeard;
    }

    /** Watchdog: whether any frame arrived yet. */
    public boolean heardFrame() {
        return heardFrame;
    }

    /** Watchdog: when the frame being read began to arrive, or 0 (none, or not started). */
    public long frameStartedAt() {
        FrameReader r = in;
        return r == null ? 0 : r.frameStartedAt();
    }

    /**
     * The reader job: reads until the channel closes or the group is gone, then returns; every
     * failure closes the channel through the host.
     *
     * @param transport what frames are read from: the socket, or the TLS transport over it
     * @param plain     the socket when {@code transport} is the socket itself (the read spin probes
     *                  it), null with TLS
     */
    public void run(ReadableByteChannel transport, SocketChannel plain) {
        ByteBuffer buffer = buffers.borrow();
        try {
            readFrames(new FrameReader(transport, buffer), plain);
        } finally {
            buffers.giveBack(buffer);
        }
    }

    private void readFrames(FrameReader in, SocketChannel plain) {
        if (trackFrameStarts) {
            in.trackFrameStarts();
        }
        this.in = in;
        FrameHeader h = new FrameHeader();
        MessageStore[] batch = new MessageStore[READ_BATCH];
        ReadSpin spin = readSpin(plain);
        try {
            while (readNext(in, h, batch, spin)) {
                // one socket read per call: see readNext
            }
        } catch (ProtocolViolationException e) {
            LOG.debug("channel {}: {}", host.number(), e.getMessage());
            host.startClose(Status.RECV_FAILED, e);
        } catch (EOFException e) {
            host.startClose(host.peerLossReason(), null);
        } catch (IOException e) {
            if (!host.isClosing()) {
                host.startClose(Sockets.isPeerLoss(e) ? host.peerLossReason() : Status.RECV_FAILED, e);
            }
        } catch (InterruptedException e) {
            host.startClose(Status.RECV_FAILED, null);
        }
    }

    /**
     * One round of the reader: waits for the next frame, reads it and the frames buffered after
     * it, and delivers them. A method of its own, called once per round, rather than the body of
     * an endless loop: HotSpot compiles a loop that never returns only by on-stack replacement,
     * and after an uncommon trap such a loop can run in the interpreter or profiling code for a
     * long time (docs/PERFORMANCE.md, "The JIT: loops compiled as methods"); a method called per round is
     * compiled, and recompiled, like any other.
     *
     * @return false when the reader must stop (the channel is closing, or the group is gone)
     */
    private boolean readNext(FrameReader in, FrameHeader h, MessageStore[] batch, ReadSpin spin)
            throws IOException, InterruptedException {
        if (spin != null && !in.hasBuffered()) {
            spin.awaitReadable(); // Options.readSpin: the next frame may come before a park would end
        }
        if (!in.readHeader(h)) { // the only wait for the peer, with nothing held
            host.startClose(host.peerLossReason(), null);
            return false;
        }
        ReceiveRules.check(h);
        int taken = takeReceiveMessages(batch, 1 + in.completeFramesBuffered(h.thl + h.bl, READ_BATCH - 1));
        if (taken == 0 || !readBatch(in, h, batch, taken)) {
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
    private ReadSpin readSpin(SocketChannel plain) {
        if (spinNanos == 0 || plain == null || !Thread.currentThread().isVirtual()) {
            return null;
        }
        return new ReadSpin(spinNanos, Channels.newInputStream(plain));
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
    private boolean readBatch(FrameReader in, FrameHeader h, MessageStore[] batch, int taken)
            throws IOException, InterruptedException {
        int number = host.number();
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
                    host.firstFrame(h.messageId);
                }
                if (LOG.isTraceEnabled()) {
                    LOG.trace("channel {} received {}", number, m);
                }
                int op = h.opCode();
                if (op == BYE_RESPONSE || op == BYE_SIGNAL) {
                    bye = true;
                    break;
                }
                if (filled == taken || !in.readHeader(h)) { // buffered: no wait
                    break;
                }
                ReceiveRules.check(h);
            }
        } catch (IOException e) {
            deliver(batch, filled, taken, bytes); // what came before the error, then the close
            throw e;
        }
        if (!deliver(batch, filled, taken, bytes)) {
            return false; // the group is gone
        }
        if (bye) {
            host.startClose(Status.CHANNEL_CLOSED, null);
            return false;
        }
        return true;
    }

    /** Gives back {@code batch[filled, taken)} and delivers {@code batch[0, filled)}; false if the group is gone. */
    private boolean deliver(MessageStore[] batch, int filled, int taken, long bytes) throws InterruptedException {
        for (int i = filled; i < taken; i++) {
            pool.recycle(batch[i]);
            batch[i] = null;
        }
        if (filled == 0) {
            return true;
        }
        if (clocks) {
            lastHeard = System.nanoTime();
            heardFrame = true;
        }
        host.countIn(filled, bytes);
        return host.deliver(batch, filled);
    }

    /**
     * Takes up to {@code wanted} pooled messages to read into, into {@code batch}; on an empty pool,
     * waits for one ({@link #awaitReceiveMessage}).
     *
     * @return how many were taken; 0 when the channel or the pool closed while waiting
     */
    private int takeReceiveMessages(MessageStore[] batch, int wanted) throws InterruptedException {
        int n = pool.tryTakeForEngine(batch, wanted, host.number()); // the home stripe its writer keeps to
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
        BackPressureEvent event = BackPressureEvent.start();
        MessagePool.Waiter inLine = pool.enlist();
        try {
            host.poolEmpty();
            LOG.debug("channel {}: pool empty, reading paused", host.number());
            while (!host.isClosing() && !pool.isClosed()) {
                MessageStore m = pool.awaitForEngine(inLine, POOL_WAIT_NANOS);
                if (m != null) {
                    return m;
                }
            }
            return null;
        } finally {
            pool.withdraw(inLine); // a message handed to it but not taken goes to the next waiter
            event.finish(host.number(), BackPressureEvent.POOLED_MESSAGE);
        }
    }
}
