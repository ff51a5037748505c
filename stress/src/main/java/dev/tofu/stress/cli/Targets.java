package dev.tofu.stress.cli;

import dev.tofu.stress.load.RateSteps;
import dev.tofu.stress.load.Result;
import dev.tofu.stress.load.Workload;
import dev.tofu.stress.report.Palette;
import dev.tofu.stress.report.RateReport;
import dev.tofu.stress.sys.SystemUnderTest;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The issues' targets, checked against one {@code compare} run and printed as met / missed: only
 * those whose rows the run has (a target needs both of its systems, same shape, same transport,
 * server in the same place). Benchmarks, not tests: a missed target does not change the exit code.
 */
final class Targets {
    private static final String TWO = SystemUnderTest.FORKED_SUFFIX;

    private Targets() {
    }

    static void print(PrintStream out, List<Result> all) {
        List<String> lines = new ArrayList<>();
        for (Result r : all) {
            Workload w = r.spec().workload();
            boolean forked = r.system().endsWith(TWO);
            String sys = forked ? r.system().substring(0, r.system().length() - TWO.length()) : r.system();
            String t = transport(sys);
            String two = forked ? " (2 JVMs)" : "";
            if (w == Workload.PINGPONG && sys.equals("tofu/tcp") && !forked) {
                p50(lines, r, find(all, r, "raw-vt/tcp"), 1.25, "pingpong tcp: tofu p50 <= 1.25x raw-vt");
                below(lines, r, find(all, r, "jeromq/tcp"), "pingpong tcp: tofu p50 below jeromq REQ/REP");
            }
            if (w == Workload.PINGPONG && sys.equals("tofu/uds") && !forked) {
                p50(lines, r, find(all, r, "raw-vt/uds"), 1.25, "pingpong uds: tofu p50 <= 1.25x raw-vt");
            }
            if (w == Workload.PIPELINE && sys.equals("tofu/tcp") && !forked) {
                String what = "pipeline " + r.spec().channels() + "ch x" + r.spec().inFlight() + " tcp: ";
                rate(lines, r, find(all, r, "raw-vt/tcp"), 0.7, what + "tofu rate >= 0.7x raw-vt");
                rate(lines, r, find(all, r, "jeromq/tcp"), 1.5, what + "tofu rate >= 1.5x jeromq");
            }
            // issue 22: two processes
            if (w == Workload.PINGPONG && sys.equals("tofu/" + t) && forked) {
                String what = "2 JVMs pingpong " + t + ": tofu ";
                p50(lines, r, find(all, r, "raw-pt/" + t), 1.3, what + "p50 <= 1.3x raw-pt");
                p99(lines, r, find(all, r, "raw-pt/" + t), 1.5, what + "p99 <= 1.5x raw-pt");
                below(lines, r, find(all, r, "jeromq/" + t), what + "p50 below jeromq");
                below(lines, r, find(all, r, "netty/" + t), what + "p50 below netty");
            }
            if (w == Workload.PIPELINE && sys.equals("tofu/" + t) && forked && r.spec().channels() >= 16) {
                String what = "2 JVMs pipeline " + r.spec().channels() + "ch x" + r.spec().inFlight() + " " + t + ": tofu rate ";
                rate(lines, r, find(all, r, "jeromq/" + t), 1.5, what + ">= 1.5x jeromq");
                rate(lines, r, find(all, r, "netty/" + t), 1.5, what + ">= 1.5x netty");
            }
            if (w == Workload.RATE && sys.equals("tofu/" + t)) {
                String what = r.spec().label() + " " + t + two + ": tofu cpu/msg <= ";
                cpu(lines, r, find(all, r, "jeromq/" + t), what + "jeromq");
                cpu(lines, r, find(all, r, "netty/" + t), what + "netty");
            }
            if (w == Workload.IDLE && sys.startsWith("tofu/")) {
                double pct = r.cpuPercentOfCore();
                lines.add(String.format(Locale.ROOT, "  %-64s %6.2f%%  %s", r.spec().label() + " " + t + two
                        + ": tofu CPU < 1% of one core", pct, pct < 1 ? "met" : "MISSED"));
            }
            // issue 21: request/response
            if (w == Workload.PINGPONG && sys.equals("tofu-call/" + t)) {
                p50(lines, r, find(all, r, "tofu/" + t), 1.3, "pingpong " + t + two + ": tofu-call p50 <= 1.3x tofu");
            }
            if (w == Workload.PIPELINE && sys.equals("tofu-call/" + t)) {
                String what = "pipeline " + r.spec().channels() + "ch x" + r.spec().inFlight() + " " + t + two + ": tofu-call ";
                rate(lines, r, find(all, r, "tofu/" + t), 0.5, what + "rate >= 0.5x tofu");
                rate(lines, r, find(all, r, "jeromq/" + t), 1.0, what + "rate above jeromq");
                rate(lines, r, find(all, r, "netty/" + t), 1.0, what + "rate above netty");
                int callers = r.spec().channels() * r.spec().inFlight();
                if (callers >= 16 && callers <= 1024) {
                    for (String g : List.of("grpc/", "grpc-vt/")) {
                        rate(lines, r, find(all, r, g + t), 5, what + "rate >= 5x " + g.substring(0, g.length() - 1));
                        p99(lines, r, find(all, r, g + t), 0.5, what + "p99 <= 0.5x " + g.substring(0, g.length() - 1));
                    }
                }
            }
        }
        rateTargets(lines, all);
        if (!lines.isEmpty()) {
            out.println("Targets (ratios from this run):");
            lines.forEach(out::println);
        }
    }

    /**
     * issue 22: the highest offered rate with p99 under 1 ms, tofu against the best peer (JeroMQ,
     * Netty, gRPC: not the raw-socket floor), same transport and placement.
     */
    private static void rateTargets(List<String> lines, List<Result> all) {
        for (Result r : all) {
            if (r.spec().workload() != Workload.RATE || !r.system().startsWith("tofu/")
                    || all.stream().anyMatch(x -> x.system().equals(r.system()) && x.spec().family().equals(r.spec().family())
                    && x.spec().offeredRate() > r.spec().offeredRate())) {
                continue; // once per tofu system and shape: at its highest step
            }
            String where = r.system().substring(r.system().indexOf('/'));
            long tofu = highest(all, r, r.system());
            long best = 0;
            String bestName = null;
            for (Result x : all) {
                if (x.spec().family().equals(r.spec().family()) && !Palette.isTofu(x.system()) && !x.system().startsWith("raw-")
                        && x.system().substring(x.system().indexOf('/')).equals(where)) {
                    long h = highest(all, r, x.system());
                    if (bestName == null || h > best) {
                        best = h;
                        bestName = x.system();
                    }
                }
            }
            if (bestName == null) {
                continue;
            }
            double ratio = best == 0 ? (tofu > 0 ? Double.POSITIVE_INFINITY : Double.NaN) : tofu / (double) best;
            lines.add(String.format(Locale.ROOT, "  %-64s %6.2fx  %s", r.spec().family() + " " + r.system()
                    + ": rate at p99 < 1 ms >= 1.5x best peer (" + bestName + ")", ratio, ratio >= 1.5 ? "met" : "MISSED"));
        }
    }

    private static long highest(List<Result> all, Result like, String system) {
        List<RateSteps.Step> steps = new ArrayList<>();
        for (Result x : all) {
            if (x.system().equals(system) && x.spec().family().equals(like.spec().family())) {
                steps.add(new RateSteps.Step(x.spec().offeredRate(), x.rate(), x.micros(99)));
            }
        }
        return RateSteps.highestUnder(steps, RateReport.P99_BOUND_MICROS);
    }

    /** "tcp" of "tofu/tcp@2jvm". */
    private static String transport(String label) {
        String t = label.substring(label.indexOf('/') + 1);
        return t.endsWith(TWO) ? t.substring(0, t.length() - TWO.length()) : t;
    }

    private static void p50(List<String> lines, Result tofu, Result other, double max, String what) {
        ratio(lines, tofu.micros(50), other == null ? Double.NaN : other.micros(50), other, what, x -> x <= max);
    }

    private static void p99(List<String> lines, Result tofu, Result other, double max, String what) {
        ratio(lines, tofu.micros(99), other == null ? Double.NaN : other.micros(99), other, what, x -> x <= max);
    }

    private static void below(List<String> lines, Result tofu, Result other, String what) {
        ratio(lines, tofu.micros(50), other == null ? Double.NaN : other.micros(50), other, what, x -> x < 1);
    }

    private static void rate(List<String> lines, Result tofu, Result other, double min, String what) {
        ratio(lines, tofu.rate(), other == null ? Double.NaN : other.rate(), other, what, x -> x >= min);
    }

    private static void cpu(List<String> lines, Result tofu, Result other, String what) {
        ratio(lines, tofu.cpuMicrosPerMsg(), other == null ? Double.NaN : other.cpuMicrosPerMsg(), other, what, x -> x <= 1);
    }

    private static void ratio(List<String> lines, double a, double b, Result other, String what,
                              java.util.function.DoublePredicate met) {
        if (other == null || Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return;
        }
        double x = a / b;
        lines.add(String.format(Locale.ROOT, "  %-64s %6.2fx  %s", what, x, met.test(x) ? "met" : "MISSED"));
    }

    /** The row of {@code system} (with the same placement suffix as {@code like}) for the same shape. */
    private static Result find(List<Result> all, Result like, String system) {
        String label = like.system().endsWith(TWO) && !system.endsWith(TWO) ? system + TWO : system;
        for (Result r : all) {
            if (r.system().equals(label) && r.spec().equals(like.spec())) {
                return r;
            }
        }
        return null;
    }
}
