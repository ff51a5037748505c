package dev.tofu;

import java.util.List;

/**
 * A snapshot of what a {@link ClusterClient} did since it was created, from
 * {@link ClusterClient#stats()}, with the figures of each server in its set. Immutable.
 *
 * <p>A call counts once in {@code calls} and, when it returns or throws, once in {@code succeeded}
 * or {@code failed}. Each attempt on a server counts in that server's figures: sent attempts in
 * {@link Member#calls()} and then in its {@code succeeded} or {@code failed}; attempts refused
 * before sending (the channel was draining or closed) in its {@code refused}, and the call moved
 * on to another server ({@code rerouted}).
 *
 * @param calls       calls made on the cluster client
 * @param succeeded   calls that returned a response
 * @param failed      calls that threw (for any reason, {@code unavailable} included)
 * @param rerouted    attempts refused before sending and moved to another server
 * @param retried     idempotent calls sent again after their server was lost
 * @param unavailable calls that failed with {@link TofuUnavailableException}
 * @param servers     the servers in the set (and those removed but still draining), in the order
 *                    they were added
 */
public record ClusterStats(long calls, long succeeded, long failed, long rerouted, long retried, long unavailable,
                           List<Member> servers) {
    /**
     * Copies the list.
     *
     * @param calls       calls made on the cluster client
     * @param succeeded   calls that returned a response
     * @param failed      calls that threw
     * @param rerouted    attempts refused before sending and moved to another server
     * @param retried     idempotent calls sent again after their server was lost
     * @param unavailable calls that failed with {@link TofuUnavailableException}
     * @param servers     the figures of each server
     */
    public ClusterStats {
        servers = List.copyOf(servers);
    }

    /**
     * Returns the figures of the server at {@code address}, or {@code null} if it is not in the set.
     *
     * @param address a client address as given to the cluster client
     * @return its figures, or {@code null}
     */
    public Member server(Address address) {
        for (Member m : servers) {
            if (m.address().equals(address)) {
                return m;
            }
        }
        return null;
    }

    /** Where a server of the set stands. */
    public enum State {
        /** Not connected yet: the first connect attempt runs. */
        CONNECTING,
        /** At least one channel is open and not draining: calls go there. */
        READY,
        /** Every open channel is draining (the server is stopping); no new call goes there. */
        DRAINING,
        /** No channel open: the last connect attempt failed or the channel was lost; reconnecting with back-off. */
        DOWN,
        /** Removed from the set: takes no new call, closes once its calls in flight ended. */
        REMOVED
    }

    /**
     * The figures of one server of the set.
     *
     * @param address      its client address
     * @param state        where it stands now
     * @param openChannels how many of its channels are open (draining ones included)
     * @param calls        attempts whose request was sent to it
     * @param succeeded    of those, how many got their response
     * @param failed       of those, how many failed (its handler threw, timed out, channel lost, ...)
     * @param refused      attempts refused before sending (draining or closed channel) and moved elsewhere
     * @param inFlight     calls on it now
     * @param lastError    the last connect failure or close reason seen, or {@code null}
     */
    public record Member(Address address, State state, int openChannels, long calls, long succeeded, long failed,
                         long refused, long inFlight, String lastError) {
    }
}
