package dev.tofu;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of what a {@link Reactor} is doing, from {@link Reactor#stats()}. Each figure is read
 * without stopping the engine, so figures taken together may be a moment apart. One pairing holds:
 * the bytes of every frame counted in {@code messagesIn} ({@code messagesOut}) are already in
 * {@code bytesIn} ({@code bytesOut}), here and in any later snapshot.
 *
 * @param openListeners    listener channels open now
 * @param openClients      client channels open now (connecting or connected)
 * @param openServers      accepted (server-side) channels open now
 * @param groupQueueDepths messages waiting in each live group's receive queue
 * @param poolIdle         idle messages in the pool
 * @param poolCreated      messages the pool has created since the reactor started
 * @param messagesIn       frames received from peers
 * @param bytesIn          bytes of those frames (headers, text headers and bodies)
 * @param messagesOut      frames written to peers
 * @param bytesOut         bytes of those frames
 * @param closeReasons     closed channels counted by close reason (silent closes count as
 *                         {@link Status#SHUTDOWN_STARTED})
 * @param refusedConnections connections listeners accepted and closed at once, without a channel
 *                         (the {@link Options#withMaxChannels(int)} or
 *                         {@link Options#withMaxChannelsPerListener(int)} limit, or no channel number left)
 */
public record ReactorStats(int openListeners, int openClients, int openServers, List<Integer> groupQueueDepths,
                           int poolIdle, long poolCreated, long messagesIn, long bytesIn, long messagesOut,
                           long bytesOut, Map<Status, Long> closeReasons,
                           long refusedConnections) {
    /** Copies the collections so the snapshot is immutable. */
    public ReactorStats {
        groupQueueDepths = List.copyOf(groupQueueDepths);
        closeReasons = Map.copyOf(closeReasons);
    }

    /**
     * Returns the number of open channels of every kind.
     *
     * @return {@code openListeners + openClients + openServers}
     */
    public int openChannels() {
        return openListeners + openClients + openServers;
    }
}
