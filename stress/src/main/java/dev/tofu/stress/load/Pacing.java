package dev.tofu.stress.load;

/**
 * The open-loop schedule of one channel of the rate workload, and where a message's latency counts
 * from (coordinated omission). Pure arithmetic on {@code System.nanoTime} values.
 *
 * <p>A channel intends to send message {@code i} at {@code start + i * interval}, whatever happened
 * to the messages before it. With one message in flight per channel (as wrk2 runs each connection),
 * a reply that comes after the next intended time delays that send; a closed-loop measurement would
 * time the delayed message from when it was actually sent and so leave out the wait the system
 * caused (coordinated omission). Here the latency of such a message counts from its intended time,
 * as wrk2 does. When the channel was free in time and only the load generator's own timer woke late
 * (a parked thread wakes tens of µs late), the latency counts from the actual send, so the
 * generator's wake-up jitter is not charged to the system under test.
 */
public final class Pacing {
    private final long start;
    private final double interval;

    /**
     * @param start         the intended time of message 0, ns
     * @param intervalNanos nanoseconds between intended sends (channels / offered rate)
     */
    public Pacing(long start, double intervalNanos) {
        if (!(intervalNanos > 0)) {
            throw new IllegalArgumentException("interval " + intervalNanos);
        }
        this.start = start;
        this.interval = intervalNanos;
    }

    /** The intended send time of message {@code i} (0-based). */
    public long intended(long i) {
        return start + Math.round(i * interval);
    }

    /**
     * Where the latency of a message counts from.
     *
     * @param intended       its intended send time
     * @param previousReply  when the reply to the channel's previous message came (or {@code Long.MIN_VALUE})
     * @param sent           when it was actually sent
     */
    public static long origin(long intended, long previousReply, long sent) {
        return previousReply - intended > 0 ? intended : sent;
    }
}
