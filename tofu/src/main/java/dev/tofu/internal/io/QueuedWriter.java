package dev.tofu.internal.io;

import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.wire.StagingBuffers;

/**
 * The default write strategy: every post is queued in the outbox and written by the channel's
 * writer thread, which batches what queued up into one gathering write. A posting thread never
 * touches the socket, so a post never waits for the network and an interrupted poster cannot
 * close the socket.
 *
 * <p>Threads: {@link #post} on posting threads; the rest is {@link ChannelWriter}'s.
 */
final class QueuedWriter extends ChannelWriter {

    QueuedWriter(ChannelHost host, Outbox outbox, MessagePool pool, StagingBuffers staging, int maxOutbound) {
        super(host, outbox, pool, staging, maxOutbound);
    }

    @Override
    public void post(MessageStore m, int opCode) {
        enqueue(m);
    }
}
