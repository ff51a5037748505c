package dev.tofu.internal.rpc;

import dev.tofu.LatencySnapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The request/response layer's latency histogram: buckets, bounds and percentiles. */
class LatencyTest {
    @Test
    void everyValueFallsIntoABucketWhoseBoundsHoldIt() {
        SplittableRandom random = new SplittableRandom(19);
        for (int i = 0; i < 100_000; i++) {
            long v = random.nextLong(0, Long.MAX_VALUE >>> random.nextInt(0, 63));
            int b = Latency.index(v);
            assertTrue(v <= Latency.upperBound(b), v + " above bucket " + b);
            assertTrue(b == 0 || v > Latency.upperBound(b - 1), v + " below bucket " + b);
        }
        assertEquals(Latency.index(Long.MAX_VALUE), Latency.index(Long.MAX_VALUE - 1));
        assertTrue(Latency.index(Long.MAX_VALUE) < 256);
    }

    @Test
    void percentilesAreAtMostAQuarterAboveTheExactOnesAndNeverBelow() {
        SplittableRandom random = new SplittableRandom(7);
        Latency latency = new Latency();
        long[] values = new long[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = 1_000 + (long) (random.nextDouble() * random.nextDouble() * 50_000_000);
            latency.record(values[i]);
        }
        Arrays.sort(values);
        LatencySnapshot s = latency.snapshot();
        assertEquals(values.length, s.count());
        assertEquals(Duration.ofNanos(values[values.length - 1]), s.max(), "the max is exact");
        check(values, 0.50, s.p50());
        check(values, 0.90, s.p90());
        check(values, 0.99, s.p99());
    }

    @Test
    void anEmptyHistogramReportsZeros() {
        LatencySnapshot s = new Latency().snapshot();
        assertEquals(0, s.count());
        assertEquals(Duration.ZERO, s.p99());
        assertEquals(Duration.ZERO, s.max());
    }

    private static void check(long[] sorted, double p, Duration reported) {
        long exact = sorted[(int) Math.ceil(p * sorted.length) - 1];
        long got = reported.toNanos();
        assertTrue(got >= exact && got <= exact + exact / 4 + 1, "p" + (int) (p * 100) + ": exact " + exact + ", reported " + got);
    }
}
