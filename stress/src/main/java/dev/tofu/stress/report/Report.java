package dev.tofu.stress.report;

import dev.tofu.stress.load.Result;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Results as a table on stdout, as CSV and JSON files, with an optional ratio to tofu on the same
 * transport ("tofu ÷ this": latency ratios below 1 and rate ratios above 1 favour tofu).
 */
public final class Report {
    private Report() {
    }

    /** The tofu row a result is compared with: same workload, same transport, server in the same place. */
    public static Result reference(List<Result> all, Result r) {
        String transport = r.system().substring(r.system().indexOf('/') + 1);
        for (Result x : all) {
            if (x.spec().equals(r.spec()) && x.system().equals("tofu/" + transport)) {
                return x;
            }
        }
        return null;
    }

    /** Prints the table; {@code ratios} adds the "tofu ÷ this" columns. */
    public static void table(PrintStream out, List<Result> results, boolean ratios) {
        List<String> head = new ArrayList<>(List.of("workload", "system", "msgs/s", "MB/s", "p50 us", "p90 us", "p99 us",
                "p99.9 us", "max us"));
        if (ratios) {
            head.add("tofu p50 ÷");
            head.add("tofu rate ÷");
        }
        head.addAll(List.of("cpu us/msg", "cpu %core", "alloc B/msg", "heap B/ch", "sent", "lost/dup/bad", "returned", "check"));
        List<List<String>> rows = new ArrayList<>();
        for (Result r : results) {
            List<String> row = new ArrayList<>();
            row.add(r.spec().label());
            row.add(r.system());
            row.add(String.format(Locale.ROOT, "%,.0f", r.rate()));
            row.add(String.format(Locale.ROOT, "%.1f", r.megabytesPerSecond()));
            for (double p : new double[]{50, 90, 99, 99.9, 100}) {
                row.add(num(r.micros(p)));
            }
            if (ratios) {
                Result t = reference(results, r);
                if (t == null) {
                    row.add("");
                    row.add("");
                } else {
                    row.add(ratio(t.micros(50), r.micros(50)));
                    row.add(ratio(t.rate(), r.rate()));
                }
            }
            row.add(num(r.cpuMicrosPerMsg()));
            row.add(Double.isNaN(r.cpuPercentOfCore()) ? "" : String.format(Locale.ROOT, "%.2f", r.cpuPercentOfCore()));
            row.add(Double.isNaN(r.allocPerMsg()) ? "" : String.format(Locale.ROOT, "%,.0f", r.allocPerMsg()));
            row.add(heap(r));
            row.add(String.format(Locale.ROOT, "%,d", r.sent()));
            row.add(r.lost() + "/" + r.duplicated() + "/" + r.corrupted());
            row.add(Long.toString(r.returned()));
            row.add(r.ok() ? "ok" : "FAIL");
            rows.add(row);
        }
        int[] w = new int[head.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = head.get(i).length();
            for (List<String> row : rows) {
                w[i] = Math.max(w[i], row.get(i).length());
            }
        }
        out.println(line(head, w));
        StringBuilder sep = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            sep.append(i < 2 ? "-".repeat(w[i] + 2) : "-".repeat(w[i] + 1) + ":").append('|');
        }
        out.println(sep);
        for (List<String> row : rows) {
            out.println(line(row, w));
        }
    }

    private static String line(List<String> cells, int[] w) {
        StringBuilder b = new StringBuilder("|");
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            String pad = " ".repeat(w[i] - c.length());
            b.append(' ').append(i < 2 ? c + pad : pad + c).append(" |");
        }
        return b.toString();
    }

    private static String heap(Result r) {
        if (Double.isNaN(r.heapPerChannel())) {
            return "";
        }
        String s = String.format(Locale.ROOT, "%,.0f", r.heapPerChannel());
        if (!Double.isNaN(r.serverHeapPerChannel())) {
            s = "c " + s + " + s " + String.format(Locale.ROOT, "%,.0f", r.serverHeapPerChannel());
        }
        return s;
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String ratio(double tofu, double other) {
        if (Double.isNaN(tofu) || Double.isNaN(other) || other == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2f×", tofu / other);
    }

    /** Prints what failed (lost, duplicated, corrupted, leaked), word for word. */
    public static boolean failures(PrintStream out, List<Result> results) {
        boolean any = false;
        for (Result r : results) {
            if (r.ok()) {
                continue;
            }
            any = true;
            out.println("FAILED " + r.spec().label() + " on " + r.system() + ": sent " + r.sent() + " = echoed "
                    + r.echoed() + " + returned " + r.returned() + " + corrupted " + r.corrupted() + " + lost " + r.lost()
                    + (r.unaccounted() != 0 ? " + UNACCOUNTED " + r.unaccounted() : "") + "; duplicated "
                    + r.duplicated() + ", connection errors " + r.connectionErrors());
            for (String l : r.leaks()) {
                out.println("  leak: " + l);
            }
            for (String p : r.problems()) {
                out.println("  " + p);
            }
        }
        return any;
    }

    /** Writes results.csv and results.json into {@code dir}. */
    public static void files(Path dir, List<Result> results, String machine, String command) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("workload,system,processes,channels,in_flight,size,offered_rate,msgs_per_s,mb_per_s,p50_us,p90_us,"
                + "p99_us,p999_us,max_us,cpu_us_per_msg,cpu_pct_core,alloc_b_per_msg,heap_b_per_channel,server_heap_b_per_channel,sent,echoed,"
                + "returned,lost,duplicated,corrupted,connection_errors,ok\n");
        StringBuilder json = new StringBuilder("{\n  \"machine\": " + q(machine) + ",\n  \"command\": " + q(command)
                + ",\n  \"results\": [\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            csv.append(String.join(",", q(r.spec().label()), r.system(), "" + processes(r), "" + r.spec().channels(),
                    "" + r.spec().inFlight(), "" + r.spec().size(), "" + r.spec().offeredRate(), f(r.rate()),
                    f(r.megabytesPerSecond()), f(r.micros(50)), f(r.micros(90)), f(r.micros(99)), f(r.micros(99.9)),
                    f(r.micros(100)), f(r.cpuMicrosPerMsg()), f(r.cpuPercentOfCore()), f(r.allocPerMsg()), f(r.heapPerChannel()),
                    f(r.serverHeapPerChannel()), "" + r.sent(), "" + r.echoed(), "" + r.returned(), "" + r.lost(),
                    "" + r.duplicated(), "" + r.corrupted(), "" + r.connectionErrors(), "" + r.ok())).append('\n');
            json.append("    {\"workload\": ").append(q(r.spec().label()))
                    .append(", \"system\": ").append(q(r.system()))
                    .append(", \"processes\": ").append(processes(r))
                    .append(", \"channels\": ").append(r.spec().channels())
                    .append(", \"in_flight\": ").append(r.spec().inFlight())
                    .append(", \"size\": ").append(r.spec().size())
                    .append(", \"offered_rate\": ").append(r.spec().offeredRate())
                    .append(", \"msgs_per_s\": ").append(j(r.rate()))
                    .append(", \"mb_per_s\": ").append(j(r.megabytesPerSecond()))
                    .append(", \"latency_us\": {\"p50\": ").append(j(r.micros(50)))
                    .append(", \"p90\": ").append(j(r.micros(90)))
                    .append(", \"p99\": ").append(j(r.micros(99)))
                    .append(", \"p99.9\": ").append(j(r.micros(99.9)))
                    .append(", \"max\": ").append(j(r.micros(100))).append('}')
                    .append(", \"cpu_us_per_msg\": ").append(j(r.cpuMicrosPerMsg()))
                    .append(", \"cpu_pct_core\": ").append(j(r.cpuPercentOfCore()))
                    .append(", \"alloc_b_per_msg\": ").append(j(r.allocPerMsg()))
                    .append(", \"heap_b_per_channel\": ").append(j(r.heapPerChannel()))
                    .append(", \"server_heap_b_per_channel\": ").append(j(r.serverHeapPerChannel()))
                    .append(", \"sent\": ").append(r.sent())
                    .append(", \"echoed\": ").append(r.echoed())
                    .append(", \"returned\": ").append(r.returned())
                    .append(", \"lost\": ").append(r.lost())
                    .append(", \"duplicated\": ").append(r.duplicated())
                    .append(", \"corrupted\": ").append(r.corrupted())
                    .append(", \"leaks\": ").append(r.leaks().stream().map(Report::q).toList())
                    .append(", \"ok\": ").append(r.ok()).append('}')
                    .append(i + 1 < results.size() ? ",\n" : "\n");
        }
        json.append("  ]\n}\n");
        Files.writeString(dir.resolve("results.csv"), csv, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("results.json"), json, StandardCharsets.UTF_8);
    }

    /** 2 when the row's server ran in the second JVM, else 1. */
    static int processes(Result r) {
        return r.system().endsWith(dev.tofu.stress.sys.SystemUnderTest.FORKED_SUFFIX) ? 2 : 1;
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String j(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    /** One line describing this machine and JVM for reports. */
    public static String machine() {
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("");
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " cores " + cpu + ", "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB max heap, " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + ", Java " + System.getProperty("java.vm.version") + " ("
                + System.getProperty("java.vm.vendor") + ")" + jvmOptions();
    }

    /** The JVM options the user chose (HARNESS_JAVA_OPTS), so a report says what it ran with. */
    private static String jvmOptions() {
        List<String> opts = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        return opts.isEmpty() ? "" : ", JVM options: " + String.join(" ", opts);
    }
}
