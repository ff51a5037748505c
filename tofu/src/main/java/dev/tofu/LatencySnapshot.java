package dev.tofu;

import java.time.Duration;

/**
 * A summary of the latencies recorded since a {@link Client} or {@link Server} started: how many,
 * and percentiles read from a histogram with four buckets per power of two (each value is the upper
 * bound of its bucket, so at most 25% above the exact percentile). All {@link Duration#ZERO} when
 * {@code count} is 0.
 *
 * @param count how many latencies were recorded
 * @param p50   the median
 * @param p90   the 90th percentile
 * @param p99   the 99th percentile
 * @param max   the largest recorded (exact)
 */
public record LatencySnapshot(long count, Duration p50, Duration p90, Duration p99, Duration max) {
}
