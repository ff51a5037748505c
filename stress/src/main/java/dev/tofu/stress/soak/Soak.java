package dev.tofu.stress.soak;

import dev.tofu.Address;
import dev.tofu.stress.load.Progress;
import dev.tofu.stress.report.Report;
import dev.tofu.stress.sys.EmbeddedTofuServer;
import dev.tofu.stress.sys.TofuEchoServer;
import dev.tofu.stress.sys.Transport;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The soak run: an embedded tofu echo server (with server aborts on), a warm-up stretch of the
 * mixed load with faults, a baseline (heap after GC, platform threads, file descriptors, tofu
 * threads), then the mixed load with faults for the whole duration, then everything stopped and
 * closed and the process given up to 20 s to return to its baseline. Prints the tables and returns
 * the exit code: 1 when any message was lost, duplicated or corrupted, the accounting does not add
 * up, a check failed, or a resource did not come back.
 *
 * <p>Threads: everything here runs on the control (main) thread; the load runs in {@link Phase}.
 */
public final class Soak {
    /** What to run. */
    public record Config(long durationMillis, long seed, List<Transport> transports, double faultMeanMillis,
                         long warmupMillis, boolean progress, Path out, String command) {
    }

    private static final long SETTLE_MILLIS = 20_000;
    private static final int THREAD_TOLERANCE = 2;
    private static final int FD_TOLERANCE = 2;
    private static final long HEAP_SLACK = 16L << 20;

    private final Config cfg;
    private final PrintStream out = System.out;

    public Soak(Config cfg) {
        this.cfg = cfg;
    }

    public int run() throws Exception {
        String machine = Report.machine();
        out.println("# tofu soak: " + machine);
        out.printf(Locale.ROOT, "# seed %d (replay: --seed %d); %s over %s; a fault every %.0f ms on average; warm-up %.1f s%n",
                cfg.seed, cfg.seed, human(cfg.durationMillis), cfg.transports.stream().map(Transport::label).toList(),
                cfg.faultMeanMillis, cfg.warmupMillis / 1000.0);
        List<String> failures = new ArrayList<>();
        long shell = Resources.messageShellBytes();
        TofuEchoServer server = new TofuEchoServer(TofuEchoServer.defaultOptions(), true);
        Map<Transport, Address> targets = new LinkedHashMap<>();
        Phase main;
        Resources base;
        double seconds;
        double stopSeconds;
        long basePool;
        try {
            for (Transport t : cfg.transports) {
                targets.put(t, server.listen(t, t == Transport.TCP ? Address.tcpServer("127.0.0.1", 0)
                        : Address.udsServer(Path.of(""))));
            }
            try (Progress progress = new Progress(cfg.progress)) {
                Phase warm = new Phase("warm-up", targets, cfg.seed ^ 0x5EED_3A2F_0000_0001L, true, cfg.faultMeanMillis);
                warm.start();
                progress.show(line("warm-up", warm));
                Thread.sleep(cfg.warmupMillis);
                warm.stop();
                progress.show((Supplier<String>) null);
                if (!warm.ok()) {
                    failures.add("the warm-up failed (see its problems below)");
                    printProblems(warm);
                }
                List<String> leaks = EmbeddedTofuServer.serverLeaks(server, SETTLE_MILLIS);
                if (!leaks.isEmpty()) {
                    failures.add("after the warm-up: " + leaks);
                }
                base = Resources.take(true);
                basePool = Resources.idlePoolBytes(server, shell);
                progress.println(String.format(Locale.ROOT, "baseline after warm-up: heap %s, %d platform threads, %d fds, "
                        + "%d tofu threads %s", mib(base.heap()), base.platformThreads(), base.fds(), base.engineThreads(),
                        base.tofuThreads() == null ? "(names unavailable)" : base.tofuThreads()));
                main = new Phase("soak", targets, cfg.seed, true, cfg.faultMeanMillis);
                main.tallies.values().forEach(t -> t.stats.measuring = true);
                long t0 = System.nanoTime();
                main.start();
                progress.show(line("soak", main));
                Thread.sleep(cfg.durationMillis);
                seconds = (System.nanoTime() - t0) / 1e9;
                progress.show((Supplier<String>) null);
                progress.println(String.format(Locale.ROOT, "stopping after %.1f s: clients finish their sessions, "
                        + "fault jobs end, reactors close", seconds));
                long s0 = System.nanoTime();
                main.stop();
                stopSeconds = (System.nanoTime() - s0) / 1e9;
            }
            List<String> leaks = EmbeddedTofuServer.serverLeaks(server, SETTLE_MILLIS);
            failures.addAll(leaks);
            if (server.failure() != null) {
                failures.add("the echo server's loop failed: " + server.failure());
            }
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }

        // back to the baseline?
        List<Integer> listeners = server.listenerChannels();
        // the server's idle pool keeps each message's largest buffers (by design, ByteBuf): bounded
        // retention, not a leak, so the heap check leaves it out and shows it on a line of its own
        long baseLive = base.heap() - basePool;
        long heapLimit = baseLive + Math.max(HEAP_SLACK, baseLive / 4);
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        Resources now = Resources.take(false);
        while (!settled(now, base, listeners) && System.currentTimeMillis() < deadline) {
            Thread.sleep(200); // polling the process's resources with a deadline
            now = Resources.take(false);
        }
        double settleSeconds = (SETTLE_MILLIS - (deadline - System.currentTimeMillis())) / 1000.0;
        Resources fin = Resources.take(true);
        long finPool = Resources.idlePoolBytes(server, shell);
        List<String> strays = strayTofuThreads(fin, listeners);

        out.println();
        out.printf(Locale.ROOT, "Soak: %.1f s, seed %d, %s, server echoed %,d, server aborts %,d; stopped in %.1f s, "
                        + "threads and fds settled in %.1f s; server pool %,d messages created, %,d idle%n", seconds, cfg.seed,
                cfg.transports.stream().map(Transport::label).toList(), server.echoed.sum(), server.aborted.sum(),
                stopSeconds, settleSeconds, server.engine().pool().createdCount(), server.engine().pool().idleCount());
        out.println();
        kindTable(main, seconds);
        out.println();
        faultTable(main);
        out.println();
        List<String[]> res = new ArrayList<>();
        long finLive = fin.heap() - finPool;
        res.add(row("heap after GC less server pool", mib(baseLive), mib(finLive), "<= " + mib(heapLimit), finLive <= heapLimit));
        res.add(new String[]{"  heap after GC", mib(base.heap()), mib(fin.heap()), "", "info"});
        res.add(new String[]{"  server idle pool", mib(basePool), mib(finPool), "", "info"});
        res.add(row("platform threads", "" + base.platformThreads(), "" + fin.platformThreads(),
                "<= " + (base.platformThreads() + THREAD_TOLERANCE), fin.platformThreads() <= base.platformThreads() + THREAD_TOLERANCE));
        res.add(row("open file descriptors", "" + base.fds(), "" + fin.fds(), "<= " + (base.fds() + FD_TOLERANCE),
                base.fds() < 0 || fin.fds() <= base.fds() + FD_TOLERANCE));
        res.add(row("tofu channel threads", "" + base.engineThreads(), "" + fin.engineThreads(), "<= " + base.engineThreads()
                + " (listeners)", fin.engineThreads() <= base.engineThreads()));
        res.add(row("tofu-ch-* besides listeners", "", fin.tofuThreads() == null ? "n/a" : "" + strays.size(), "0",
                strays.isEmpty()));
        table(new String[]{"resource", "baseline", "final", "limit", "check"}, res);
        for (String[] r : res) {
            if (r[4].equals("FAIL")) {
                failures.add(r[0] + " did not return to its baseline: " + r[1] + " -> " + r[2] + " (limit " + r[3] + ")");
            }
        }
        if (!strays.isEmpty()) {
            failures.add("tofu threads alive besides the listeners': " + strays);
        }
        for (Tally t : main.tallies.values()) {
            if (!t.ok()) {
                failures.add(t.kind + ": sent " + t.stats.sent.sum() + " = echoed " + t.stats.echoed.sum() + " + returned "
                        + t.stats.returned.sum() + " + cut " + t.cut.sum() + " + corrupted " + t.stats.corrupted.sum()
                        + " + lost " + t.stats.lost.sum() + (t.unaccounted() != 0 ? " + UNACCOUNTED " + t.unaccounted() : "")
                        + "; duplicated " + t.stats.duplicated.sum() + ", connection errors " + t.stats.connectionErrors.sum());
            }
        }
        printProblems(main);
        if (!main.checks.problems().isEmpty()) {
            failures.add("fault checks failed: " + main.checks.problems().size());
        }
        if (finPool - basePool > HEAP_SLACK) {
            out.printf(Locale.ROOT, "note: the server's idle pool grew from %s to %s (%,d messages, %,d B per empty message): "
                    + "pooled messages keep the capacity of the largest body they carried; left out of the heap check%n",
                    mib(basePool), mib(finPool), server.engine().pool().idleCount(), shell);
        }
        for (FaultTally f : main.faults.values()) {
            if (f.injected.sum() == 0) {
                out.println("note: " + f.kind.label + " was never injected (a longer run or another seed covers it)");
            }
        }
        if (cfg.out != null) {
            writeJson(cfg.out, machine, seconds, main, base, fin, basePool, finPool, heapLimit, strays, failures, server);
            out.println("wrote " + cfg.out.resolve("soak.json"));
        }
        server.close();
        for (String f : failures) {
            out.println("FAILED " + f);
        }
        out.println(failures.isEmpty()
                ? "RESULT: every message accounted for under faults; heap, threads and file descriptors back to baseline"
                : "RESULT: FAILED (see above)");
        return failures.isEmpty() ? 0 : 1;
    }

    private static boolean settled(Resources now, Resources base, List<Integer> listeners) {
        return now.platformThreads() <= base.platformThreads() + THREAD_TOLERANCE
                && (base.fds() < 0 || now.fds() <= base.fds() + FD_TOLERANCE)
                && now.engineThreads() <= base.engineThreads()
                && strayTofuThreads(now, listeners).isEmpty();
    }

    /** Live tofu-ch-* threads that are not a listener's (empty when names are unavailable). */
    private static List<String> strayTofuThreads(Resources r, List<Integer> listeners) {
        if (r.tofuThreads() == null) {
            return List.of();
        }
        return r.tofuThreads().stream().filter(n -> n.startsWith("tofu-ch-"))
                .filter(n -> listeners.stream().noneMatch(l -> n.startsWith("tofu-ch-" + l + "-"))).toList();
    }

    private Supplier<String> line(String what, Phase p) {
        long[] last = {0, System.nanoTime()};
        return () -> {
            long msgs = p.messages();
            long t = System.nanoTime();
            double rate = (msgs - last[0]) / ((t - last[1]) / 1e9);
            last[0] = msgs;
            last[1] = t;
            return String.format(Locale.ROOT, "%-8s %,12d msgs %,10.0f msg/s %,6d faults %,d errors", what, msgs, rate,
                    p.faultsInjected(), p.errors());
        };
    }

    private void printProblems(Phase p) {
        for (Tally t : p.tallies.values()) {
            for (String s : t.stats.problems()) {
                out.println("  " + p.name + " " + t.kind + ": " + s);
            }
        }
        for (String s : p.checks.problems()) {
            out.println("  " + p.name + " check: " + s);
        }
    }

    private void kindTable(Phase p, double seconds) {
        List<String[]> rows = new ArrayList<>();
        long[] sum = new long[10];
        for (Tally t : p.tallies.values()) {
            Histogram h = t.stats.latency();
            long[] v = {t.stats.connects.sum(), t.stats.sent.sum(), t.stats.echoed.sum(), t.stats.returned.sum(), t.cut.sum(),
                    t.refused.sum(), t.stats.lost.sum(), t.stats.duplicated.sum(), t.stats.corrupted.sum(),
                    t.stats.connectionErrors.sum()};
            for (int i = 0; i < v.length; i++) {
                sum[i] += v[i];
            }
            rows.add(new String[]{t.kind, n(v[0]), n(v[1]), n(v[2]), n(v[3]), n(v[4]), n(v[5]),
                    v[6] + "/" + v[7] + "/" + v[8], n(v[9]), String.format(Locale.ROOT, "%,.0f", v[2] / seconds),
                    String.format(Locale.ROOT, "%.1f", t.stats.measuredBytes.sum() / seconds / 1e6), us(h, 50), us(h, 99),
                    t.ok() ? "ok" : "FAIL"});
        }
        rows.add(new String[]{"total", n(sum[0]), n(sum[1]), n(sum[2]), n(sum[3]), n(sum[4]), n(sum[5]),
                sum[6] + "/" + sum[7] + "/" + sum[8], n(sum[9]), String.format(Locale.ROOT, "%,.0f", sum[2] / seconds), "", "", "",
                p.tallies.values().stream().allMatch(Tally::ok) ? "ok" : "FAIL"});
        table(new String[]{"messages", "connects", "sent", "echoed", "returned", "cut by fault", "refused", "lost/dup/bad",
                "conn errors", "echoed/s", "MB/s", "p50 us", "p99 us", "check"}, rows);
    }

    private void faultTable(Phase p) {
        List<String[]> rows = new ArrayList<>();
        for (FaultTally f : p.faults.values()) {
            rows.add(new String[]{f.kind.label, n(f.injected.sum()), n(f.skipped.sum()), n(f.affected.sum()),
                    n(f.echoed.sum()), n(f.returned.sum()), n(f.cut.sum()),
                    f.kind.extra.isEmpty() ? "" : f.kind.extra + " " + n(f.extra.sum())});
        }
        rows.add(new String[]{"total", n(p.faultsInjected()), n(p.faults.values().stream().mapToLong(f -> f.skipped.sum()).sum()),
                n(p.faults.values().stream().mapToLong(f -> f.affected.sum()).sum()),
                n(p.faults.values().stream().mapToLong(f -> f.echoed.sum()).sum()),
                n(p.faults.values().stream().mapToLong(f -> f.returned.sum()).sum()),
                n(p.faults.values().stream().mapToLong(f -> f.cut.sum()).sum()), ""});
        table(new String[]{"fault", "injected", "skipped", "msgs affected", "echoed", "returned", "cut", "other"}, rows);
    }

    private void table(String[] head, List<String[]> rows) {
        int[] w = new int[head.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = head[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sep = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            sep.append(i == 0 ? "-".repeat(w[i] + 2) : "-".repeat(w[i] + 1) + ":").append('|');
        }
        out.println(cells(head, w));
        out.println(sep);
        for (String[] r : rows) {
            out.println(cells(r, w));
        }
    }

    private static String cells(String[] c, int[] w) {
        StringBuilder b = new StringBuilder("|");
        for (int i = 0; i < c.length; i++) {
            String pad = " ".repeat(w[i] - c[i].length());
            b.append(' ').append(i == 0 ? c[i] + pad : pad + c[i]).append(" |");
        }
        return b.toString();
    }

    private static String[] row(String what, String base, String fin, String limit, boolean ok) {
        return new String[]{what, base, fin, limit, ok ? "ok" : "FAIL"};
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String us(Histogram h, double p) {
        return h.getTotalCount() == 0 ? "" : String.format(Locale.ROOT, "%,.1f", h.getValueAtPercentile(p) / 1000.0);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    static String human(long millis) {
        return millis % 60_000 == 0 ? millis / 60_000 + " min" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private void writeJson(Path dir, String machine, double seconds, Phase p, Resources base, Resources fin, long basePool,
                           long finPool, long heapLimit,
                           List<String> strays, List<String> failures, TofuEchoServer server) throws IOException {
        Files.createDirectories(dir);
        StringBuilder j = new StringBuilder("{\n");
        j.append("  \"machine\": ").append(q(machine)).append(",\n");
        j.append("  \"command\": ").append(q(cfg.command)).append(",\n");
        j.append("  \"seed\": ").append(cfg.seed).append(",\n");
        j.append("  \"seconds\": ").append(String.format(Locale.ROOT, "%.3f", seconds)).append(",\n");
        j.append("  \"transports\": ").append(cfg.transports.stream().map(t -> q(t.label())).toList()).append(",\n");
        j.append("  \"server\": {\"echoed\": ").append(server.echoed.sum()).append(", \"aborted\": ")
                .append(server.aborted.sum()).append("},\n");
        j.append("  \"messages\": [\n");
        int i = 0;
        for (Tally t : p.tallies.values()) {
            j.append("    {\"kind\": ").append(q(t.kind))
                    .append(", \"connects\": ").append(t.stats.connects.sum())
                    .append(", \"sent\": ").append(t.stats.sent.sum())
                    .append(", \"echoed\": ").append(t.stats.echoed.sum())
                    .append(", \"returned\": ").append(t.stats.returned.sum())
                    .append(", \"cut\": ").append(t.cut.sum())
                    .append(", \"refused\": ").append(t.refused.sum())
                    .append(", \"lost\": ").append(t.stats.lost.sum())
                    .append(", \"duplicated\": ").append(t.stats.duplicated.sum())
                    .append(", \"corrupted\": ").append(t.stats.corrupted.sum())
                    .append(", \"connection_errors\": ").append(t.stats.connectionErrors.sum())
                    .append(", \"unaccounted\": ").append(t.unaccounted())
                    .append(", \"ok\": ").append(t.ok()).append('}')
                    .append(++i < p.tallies.size() ? ",\n" : "\n");
        }
        j.append("  ],\n  \"faults\": [\n");
        i = 0;
        for (FaultTally f : p.faults.values()) {
            j.append("    {\"fault\": ").append(q(f.kind.name().toLowerCase(Locale.ROOT)))
                    .append(", \"injected\": ").append(f.injected.sum())
                    .append(", \"skipped\": ").append(f.skipped.sum())
                    .append(", \"affected\": ").append(f.affected.sum())
                    .append(", \"echoed\": ").append(f.echoed.sum())
                    .append(", \"returned\": ").append(f.returned.sum())
                    .append(", \"cut\": ").append(f.cut.sum())
                    .append(", ").append(q(f.kind.extra.isEmpty() ? "other" : f.kind.extra)).append(": ").append(f.extra.sum())
                    .append('}').append(++i < p.faults.size() ? ",\n" : "\n");
        }
        j.append("  ],\n  \"resources\": {\n");
        j.append("    \"heap_after_gc\": {\"baseline\": ").append(base.heap()).append(", \"final\": ").append(fin.heap())
                .append("},\n");
        j.append("    \"server_idle_pool_bytes\": {\"baseline\": ").append(basePool).append(", \"final\": ").append(finPool)
                .append("},\n");
        j.append("    \"heap_less_pool\": {\"baseline\": ").append(base.heap() - basePool).append(", \"final\": ")
                .append(fin.heap() - finPool).append(", \"limit\": ").append(heapLimit).append("},\n");
        j.append("    \"platform_threads\": {\"baseline\": ").append(base.platformThreads()).append(", \"final\": ")
                .append(fin.platformThreads()).append(", \"limit\": ").append(base.platformThreads() + THREAD_TOLERANCE).append("},\n");
        j.append("    \"fds\": {\"baseline\": ").append(base.fds()).append(", \"final\": ").append(fin.fds())
                .append(", \"limit\": ").append(base.fds() + FD_TOLERANCE).append("},\n");
        j.append("    \"tofu_threads\": {\"baseline\": ").append(base.engineThreads()).append(", \"final\": ")
                .append(fin.engineThreads()).append(", \"strays\": ").append(strays.stream().map(Soak::q).toList()).append("}\n");
        j.append("  },\n  \"failures\": ").append(failures.stream().map(Soak::q).toList()).append(",\n");
        j.append("  \"ok\": ").append(failures.isEmpty()).append("\n}\n");
        Files.writeString(dir.resolve("soak.json"), j, StandardCharsets.UTF_8);
    }

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
