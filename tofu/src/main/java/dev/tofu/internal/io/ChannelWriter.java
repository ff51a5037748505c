package dev.tofu.internal.io;

import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.PostRules;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameWriter;
import dev.tofu.internal.wire.StagingBuffers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.GatheringByteChannel;
import java.util.concurrent.TimeUnit;

/**
 * The writing half of a connected channel: takes posted messages into the channel's
 * {@link Outbox} and writes them to the socket in post order. How a post reaches the socket is a
 * strategy chosen once, when the channel is built ({@link #create}): {@link QueuedWriter} always
 * queues for the writer thread; {@link DirectWriter} (Options.withDirectWrite) lets an isolated
 * post on an idle channel write its frame on the posting thread.
 *
 * <p>Threads: {@link #post} runs on posting (application) threads. {@link #run} is the writer
 * thread's job ({@code tofu-ch-<n>-writer}); {@code byeRequestWritten} is that thread's alone.
 * {@link #connected} is called once, by the thread that connected the socket (a client's
 * connector on the writer thread, the thread accepting a plain socket, or an accepted TLS
 * channel's reader after its handshake), before the writer is let through to write.
 *
 * <p>Invariants: only the holder of the outbox's writing rights writes to the socket (the writer
 * thread from {@code takeBatch} to {@code doneWriting}, or a direct poster); so frames go out
 * whole and in post order. After a ByeRequest is written, only a ByeResponse may follow (so
 * simultaneous ByeRequests cannot deadlock); after a ByeResponse, nothing, and the channel closes
 * by itself if the peer has not closed within {@link #BYE_SAFETY_CLOSE_NANOS}. A message written
 * completely goes back to the pool; one not written goes back to the front of the outbox, to be
 * returned in the close bundle.
 */
public abstract sealed class ChannelWriter permits QueuedWriter, DirectWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelWriter.class);
    /** §5.5.1: the ByeResponse sender closes by itself this long after writing it. */
    public static final long BYE_SAFETY_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Most frames the writer takes for one write (64 frames of 80 bytes fill a third of its staging buffer). */
    private static final int BATCH = FrameWriter.MAX_BATCH;
    /** A writer that just wrote at least this many frames yields before its next take (see {@link #writeNext}). */
    static final int YIELD_BATCH = ChannelReader.YIELD_BATCH;
    // compared on every batch: static finals the JIT folds
    private static final int BYE_REQUEST = OpCode.BYE_REQUEST.code();
    private static final int BYE_RESPONSE = OpCode.BYE_RESPONSE.code();

    final ChannelHost host;
    final Outbox outbox;
    private final MessagePool pool;
    private final StagingBuffers staging;
    private final int maxOutbound;
    volatile FrameWriter out;          // set once by connected(); null until the socket is connected
    private boolean byeRequestWritten; // writer thread only: after it, only a ByeResponse may be written

    ChannelWriter(ChannelHost host, Outbox outbox, MessagePool pool, StagingBuffers staging, int maxOutbound) {
        this.host = host;
        this.outbox = outbox;
        this.pool = pool;
        this.staging = staging;
        this.maxOutbound = maxOutbound;
    }

    /**
     * Chooses the write strategy of a channel, once: {@link DirectWriter} when {@code directWrite}
     * (Options.withDirectWrite), otherwise {@link QueuedWriter}.
     *
     * @param maxOutbound Options.maxOutboundPerChannel: most messages the outbox holds for posts
     */
    public static ChannelWriter create(boolean directWrite, ChannelHost host, Outbox outbox, MessagePool pool,
                                       StagingBuffers staging, int maxOutbound) {
        return directWrite
                ? new DirectWriter(host, outbox, pool, staging, maxOutbound)
                : new QueuedWriter(host, outbox, pool, staging, maxOutbound);
    }

    /**
     * A posting thread hands over a message for this channel (not a ByeSignal, which closes the
     * channel instead): the writer takes it, or this throws with the message untaken and its status
     * set (a closed channel, or {@code maxOutbound} messages already waiting).
     */
    public abstract void post(MessageStore m, int opCode);

    /** Queues {@code m} for the writer thread, or throws without taking it. */
    final void enqueue(MessageStore m) {
        int offered = outbox.offer(m, maxOutbound);
        if (offered == Outbox.CLOSED) {
            throw PostRules.fail(m, Status.INVALID_CHANNEL_NUMBER, "channel " + host.number() + " is closed");
        }
        if (offered == Outbox.FULL) {
            throw PostRules.fail(m, Status.SEND_FAILED, "channel " + host.number() + ": " + maxOutbound
                    + " messages already wait to be written (Options.maxOutboundPerChannel); the peer reads too slowly");
        }
    }

    /** The socket (or TLS transport over it) is connected: frames may be written to it from now on. */
    public final void connected(GatheringByteChannel transport) {
        out = new FrameWriter(transport, staging);
    }

    /**
     * The writer job: writes what the outbox holds until the channel closes.
     *
     * @param awaitHandshake an accepted TLS channel's transport, whose handshake (run by the reader)
     *                       must end before the first write; null otherwise
     */
    public final void run(TlsTransport awaitHandshake) {
        try {
            if (awaitHandshake != null && !awaitHandshake.awaitHandshake()) {
                return; // the reader closes the channel
            }
        } catch (InterruptedException e) {
            host.startClose(Status.SEND_FAILED, null);
            return;
        }
        FrameWriter out = this.out;
        MessageStore[] batch = new MessageStore[BATCH];
        try {
            while (writeNext(out, batch)) {
                // one gathering write per call: see writeNext
            }
        } catch (InterruptedException e) {
            host.startClose(Status.SEND_FAILED, null);
        }
    }

    /**
     * One round of the writer: takes what the outbox holds (up to a batch) and writes it with one
     * gathering write. A method of its own for the reason given at {@code ChannelReader.readNext}.
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
        boolean bye = last == BYE_REQUEST || last == BYE_RESPONSE;
        if (last == BYE_RESPONSE) {
            // before the write: the peer closes as soon as it reads the ByeResponse, and our
            // reader may see that close before this thread runs again (§5.5.1: not a peer loss)
            host.byeResponseWritten();
        }
        try {
            out.write(batch, n);
        } catch (IOException e) {
            int done = out.completed();
            written(batch, done); // written before the failure: gone to the peer
            outbox.pushBackFront(batch, done, n);
            outbox.doneWriting(bye);
            failed(e);
            return false;
        }
        written(batch, n);
        outbox.doneWriting(bye);
        if (n >= YIELD_BATCH) {
            Thread.yield(); // as the reader: under load, let the posters fill the next batch
        }
        if (last == BYE_RESPONSE) {
            if (!outbox.awaitStopped(BYE_SAFETY_CLOSE_NANOS)) {
                host.startClose(Status.CHANNEL_CLOSED, null); // the peer did not close: §5.5.1 safety close
            }
            return false;
        }
        if (last == BYE_REQUEST) {
            byeRequestWritten = true;
        }
        return true;
    }

    /** A write failed with {@code e}: closes the channel, unless it is closing already. */
    final void failed(IOException e) {
        if (!host.isClosing()) {
            host.startClose(Sockets.isPeerLoss(e) ? host.peerLossReason() : Status.SEND_FAILED, e);
        }
    }

    /** Counts {@code batch[0, n)} as written and gives the messages back to the pool, clearing the slots. */
    final void written(MessageStore[] batch, int n) {
        if (n == 0) {
            return;
        }
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            if (LOG.isTraceEnabled()) {
                LOG.trace("channel {} sent {}", host.number(), batch[i]);
            }
            bytes += FrameHeader.SIZE + batch[i].headers().length() + batch[i].body().length();
        }
        host.countOut(n, bytes);
        pool.recycleAll(batch, n, host.number()); // the channel's home stripe, where its reader takes
    }
}
