package dev.tofu.stress.bench;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bytes allocated per thread group between two snapshots of the JDK's per-thread counters
 * ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}). Virtual threads allocate on
 * their carriers, so the channels' {@code tofu-ch-*} readers and writers and an echo server's loop
 * all count under "carriers"; JFR splits them further (see {@link RoundTripAllocation}).
 *
 * <p>Threads: used by one thread at a time; the snapshot itself allocates a few kilobytes.
 */
final class ThreadAllocation {
    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final String appThread;
    private Map<Long, Long> start = Map.of();

    /** @param appThread the name of the thread that runs the application side */
    ThreadAllocation(String appThread) {
        this.appThread = appThread;
    }

    /** Starts a measurement. */
    void start() {
        start = bytesById();
    }

    /** Bytes per operation since {@link #start}, by thread group, with a "total" entry. */
    Map<String, Double> perOp(long ops) {
        Map<Long, Long> now = bytesById();
        Map<String, Double> out = new TreeMap<>();
        double total = 0;
        for (var e : now.entrySet()) {
            long d = e.getValue() - start.getOrDefault(e.getKey(), 0L);
            if (d <= 0) {
                continue;
            }
            var info = MX.getThreadInfo(e.getKey());
            String group = group(info == null ? "?" : info.getThreadName());
            out.merge(group, (double) d / ops, Double::sum);
            total += (double) d / ops;
        }
        out.put("total", total);
        return out;
    }

    /** Formats {@link #perOp} on one line. */
    String line(long ops) {
        StringBuilder b = new StringBuilder("allocation by thread, B/op:");
        for (var e : perOp(ops).entrySet()) {
            b.append(String.format(" %s %.1f;", e.getKey(), e.getValue()));
        }
        return b.toString();
    }

    private String group(String thread) {
        if (thread.equals(appThread)) {
            return "app";
        }
        if (thread.startsWith("ForkJoinPool")) {
            return "carriers";
        }
        if (thread.contains("Poller")) {
            return "pollers";
        }
        return "other";
    }

    private static Map<Long, Long> bytesById() {
        long[] ids = MX.getAllThreadIds();
        long[] bytes = MX.getThreadAllocatedBytes(ids);
        Map<Long, Long> out = new TreeMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                out.put(ids[i], bytes[i]);
            }
        }
        return out;
    }
}
