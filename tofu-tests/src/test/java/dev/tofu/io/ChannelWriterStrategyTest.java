package dev.tofu.io;

import static dev.tofu.testing.Stores.store;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.internal.io.ChannelHost;
import dev.tofu.internal.io.ChannelWriter;
import dev.tofu.internal.io.Outbox;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.Owner;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.StagingBuffers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The write strategy a channel chooses once, when it is built (ChannelWriter.create): queued by
 * default, direct with Options.withDirectWrite(true). Checked without a reactor, through a fake
 * channel and a pipe standing for the socket.
 */
@Timeout(30)
class ChannelWriterStrategyTest {
    private final MessagePool pool = new MessagePool(0, 16);
    private final StagingBuffers staging = new StagingBuffers(64 * 1024, 2);
    private final Outbox outbox = new Outbox();
    private final FakeChannel channel = new FakeChannel();
    private Pipe pipe;

    @AfterEach
    void closePipe() throws IOException {
        if (pipe != null) {
            pipe.sink().close();
            pipe.source().close();
        }
    }

    @Test
    void withoutDirectWriteEveryPostIsQueuedForTheWriterThread() throws IOException {
        ChannelWriter w = connected(ChannelWriter.create(false, channel, outbox, pool, staging, 8));
        w.post(request(1), OpCode.REQUEST.code());
        assertEquals(1, outbox.size(), "a queued writer hands every post to the writer thread");
        assertEquals(0, channel.framesOut.get());
        assertEquals(0, bytesOnTheWire());
    }

    @Test
    void withDirectWriteAnIsolatedPostOnAnIdleChannelIsWrittenOnThePostingThread() throws IOException {
        ChannelWriter w = connected(ChannelWriter.create(true, channel, outbox, pool, staging, 8));
        MessageStore m = request(2);
        w.post(m, OpCode.REQUEST.code());
        assertEquals(0, outbox.size(), "written directly, not queued");
        assertEquals(1, channel.framesOut.get());
        assertEquals(FrameHeader.SIZE + 3, bytesOnTheWire(), "the frame: header and a 3-byte body");
        assertEquals(Owner.POOL, m.owner(), "a written message goes back to the pool");
    }

    @Test
    void directWriteQueuesUntilTheSocketIsConnected() {
        ChannelWriter w = ChannelWriter.create(true, channel, outbox, pool, staging, 8);
        w.post(request(3), OpCode.REQUEST.code());
        assertEquals(1, outbox.size());
    }

    @Test
    void directWriteNeverWritesFromAnInterruptedThread() throws IOException {
        ChannelWriter w = connected(ChannelWriter.create(true, channel, outbox, pool, staging, 8));
        Thread.currentThread().interrupt();
        try {
            w.post(request(4), OpCode.REQUEST.code());
            assertTrue(Thread.currentThread().isInterrupted(), "the caller keeps its interrupt flag");
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, outbox.size(), "an interrupted poster's message goes to the writer thread");
        assertEquals(0, bytesOnTheWire());
    }

    @Test
    void directWriteLeavesEngineFramesToTheWriter() throws IOException {
        ChannelWriter w = connected(ChannelWriter.create(true, channel, outbox, pool, staging, 8));
        MessageStore bye = request(5);
        bye.setOpCodeRaw(OpCode.BYE_REQUEST.code());
        w.post(bye, OpCode.BYE_REQUEST.code());
        assertEquals(1, outbox.size(), "only Request, Response and Signal are written directly");
    }

    private ChannelWriter connected(ChannelWriter w) throws IOException {
        pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        w.connected(pipe.sink());
        return w;
    }

    private int bytesOnTheWire() throws IOException {
        if (pipe == null) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.allocate(1024);
        int total = 0;
        int n;
        while ((n = pipe.source().read(b)) > 0) {
            total += n;
        }
        return total;
    }

    private static MessageStore request(long id) {
        MessageStore s = store(new Message().opCode(OpCode.REQUEST).channel(1).messageId(id));
        s.body().append(new byte[] {1, 2, 3}, 0, 3);
        s.setOwner(Owner.ENGINE); // as post does before handing it to the channel
        return s;
    }

    /** The channel side of the writer: counts what was written, reports nothing else. */
    private static final class FakeChannel implements ChannelHost {
        final AtomicInteger framesOut = new AtomicInteger();

        @Override
        public int number() {
            return 1;
        }

        @Override
        public boolean isClosing() {
            return false;
        }

        @Override
        public Status peerLossReason() {
            return Status.PEER_DISCONNECTED;
        }

        @Override
        public boolean startClose(Status reason, Throwable failure) {
            throw new AssertionError("unexpected close: " + reason, failure);
        }

        @Override
        public void byeResponseWritten() {
        }

        @Override
        public void publish(SocketChannel socket) {
        }

        @Override
        public boolean deliver(MessageStore[] frames, int n) {
            return true;
        }

        @Override
        public void firstFrame(long messageId) {
        }

        @Override
        public void poolEmpty() {
        }

        @Override
        public int receiveQueued() {
            return 0;
        }

        @Override
        public void countIn(int n, long bytes) {
        }

        @Override
        public void countOut(int n, long bytes) {
            framesOut.addAndGet(n);
        }
    }
}
