package dev.tofu.internal.io;

import dev.tofu.OpCode;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.wire.FrameWriter;
import dev.tofu.internal.wire.StagingBuffers;

import java.io.IOException;

/**
 * The write strategy of {@code Options.withDirectWrite(true)}: a post that looks like the one
 * request (or response) of a request/response exchange at low rate writes its frame on the
 * posting thread, saving the wake-up of the writer thread; every other post is queued as with
 * {@link QueuedWriter}.
 *
 * <p>Which posts write directly (adaptive): an application message (Request, Response, Signal)
 * on a connected channel, from a thread whose interrupt flag is clear, at least
 * {@link #IDLE_NANOS} after the previous post on this channel, with nothing waiting in the
 * group's receive queue (a consumer with more to handle will likely post again soon, as a server
 * loop answering many channels does), and only if the outbox grants the writing rights (nothing
 * queued, nobody writing, no bye-type frame written, see {@code Outbox.tryClaimDirect}), so post
 * order holds. Writing every post directly would cost one system call per message and serialise
 * every channel's writes on the posting thread; the writer batches them instead.
 *
 * <p>Threads: {@link #post} on any posting thread. {@code lastPostNanos} is a hint written by
 * any poster: a lost update only changes which path one post takes. {@code direct} belongs to
 * whoever holds the outbox's writing rights. An interrupted thread never writes: the JDK would
 * close the socket (ClosedByInterruptException) and with it the channel; the writer thread sends
 * its frame and the caller keeps its flag. An interrupt that arrives during a direct write still
 * closes the socket (the JDK offers no uninterruptible socket write); the channel then closes
 * with SEND_FAILED.
 */
final class DirectWriter extends ChannelWriter {
    /** A post this soon after the previous one on the channel goes to the writer thread. */
    static final long IDLE_NANOS = 10_000L;
    private static final int SIGNAL = OpCode.SIGNAL.code(); // opcodes up to it are application messages

    private final MessageStore[] direct = new MessageStore[1]; // guarded by the outbox's writing rights
    private volatile long lastPostNanos = System.nanoTime() - IDLE_NANOS; // a hint, see the class comment

    DirectWriter(ChannelHost host, Outbox outbox, MessagePool pool, StagingBuffers staging, int maxOutbound) {
        super(host, outbox, pool, staging, maxOutbound);
    }

    @Override
    public void post(MessageStore m, int opCode) {
        FrameWriter out = this.out;
        if (opCode <= SIGNAL && out != null && !Thread.currentThread().isInterrupted()
                && worthWritingDirectly() && outbox.tryClaimDirect()) {
            writeDirect(out, m);
            return;
        }
        enqueue(m);
    }

    /** The timing half of the choice (see the class comment); notes this post's time. */
    private boolean worthWritingDirectly() {
        long now = System.nanoTime();
        long previous = lastPostNanos;
        lastPostNanos = now;
        return now - previous >= IDLE_NANOS && host.receiveQueued() == 0;
    }

    /** Writes {@code m} on this thread, which holds the outbox's writing rights, and gives them up. */
    private void writeDirect(FrameWriter out, MessageStore m) {
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
                written(direct, 1); // clears direct[0]
            }
            outbox.doneWriting(false);
            failed(e);
            return;
        }
        written(direct, 1); // clears direct[0]
        outbox.doneWriting(false);
    }
}
