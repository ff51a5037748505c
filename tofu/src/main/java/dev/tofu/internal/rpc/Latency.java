package dev.tofu.internal.rpc;

import dev.tofu.LatencySnapshot;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free latency histogram in nanoseconds: four buckets per power of two (values 0..3 have a
 * bucket each), so a percentile read from it is at most 25% above the exact one. Fixed size (256
 * counters in each of four stripes picked by thread id), no allocation per record.
 *
 * <p>Threads: {@link #record} from any number of threads; {@link #snapshot} from any thread (a
 * snapshot taken while records happen may miss the newest few, never more).
 */
final class Latency {
    private static final int BUCKETS = 256;
    /** Copies of the counters, picked by thread id, so that callers on different cores seldom share a line. */
    private static final int STRIPES = 4;
    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS * STRIPES);
    private final AtomicLong max = new AtomicLong();

    /** Records one latency; negative values count as 0. */
    void record(long nanos) {
        long n = Math.max(0, nanos);
        int stripe = (int) (Thread.currentThread().threadId() & (STRIPES - 1));
        counts.incrementAndGet(stripe * BUCKETS + index(n));
        long seen;
        while ((seen = max.get()) < n && !max.compareAndSet(seen, n)) {
            Thread.onSpinWait();
        }
    }

    /** The bucket of {@code n >= 0}. */
    static int index(long n) {
        if (n < 4) {
            return (int) n;
        }
        int e = 63 - Long.numberOfLeadingZeros(n);      // 2..62
        int sub = (int) ((n >>> (e - 2)) & 3);          // the two bits below the leading one
        return 4 * (e - 1) + sub;
    }

    /** The largest value that falls into bucket {@code i}. */
    static long upperBound(int i) {
        if (i < 4) {
            return i;
        }
        int e = i / 4 + 1;
        int sub = i % 4;
        return ((long) (4 + sub + 1) << (e - 2)) - 1;
    }

    /** The current summary. */
    LatencySnapshot snapshot() {
        long[] c = new long[BUCKETS];
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            for (int stripe = 0; stripe < STRIPES; stripe++) {
                c[i] += counts.get(stripe * BUCKETS + i);
            }
            total += c[i];
        }
        if (total == 0) {
            return new LatencySnapshot(0, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        }
        long m = max.get();
        return new LatencySnapshot(total, percentile(c, total, 0.50, m), percentile(c, total, 0.90, m),
                percentile(c, total, 0.99, m), Duration.ofNanos(m));
    }

    private static Duration percentile(long[] c, long total, double p, long max) {
        long rank = Math.max(1, (long) Math.ceil(p * total));
        long seen = 0;
        for (int i = 0; i < c.length; i++) {
            seen += c[i];
            if (seen >= rank) {
                return Duration.ofNanos(Math.min(upperBound(i), max));
            }
        }
        return Duration.ofNanos(max);
    }
}
