package dev.tofu.stress.cli;

import dev.tofu.stress.load.Result;
import dev.tofu.stress.load.Workload;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The targets, checked against one {@code compare} run and printed as met / missed. */
final class Targets {
    private Targets() {
    }

    static void print(PrintStream out, List<Result> all) {
        out.println("Targets (ratios from this run):");
        for (Result r : all) {
            if (r.spec().workload() == Workload.PINGPONG && r.system().equals("tofu/tcp")) {
                latency(out, r, find(all, r, "raw-vt/tcp"), 1.25, "pingpong tcp: tofu p50 <= 1.25x raw-vt");
                Result z = find(all, r, "jeromq/tcp");
                if (z != null) {
                    double x = r.micros(50) / z.micros(50);
                    out.printf(Locale.ROOT, "  %-58s %6.2fx  %s%n", "pingpong tcp: tofu p50 below jeromq REQ/REP", x,
                            x < 1 ? "met" : "MISSED");
                }
            }
            if (r.spec().workload() == Workload.PINGPONG && r.system().equals("tofu/uds")) {
                latency(out, r, find(all, r, "raw-vt/uds"), 1.25, "pingpong uds: tofu p50 <= 1.25x raw-vt");
            }
            if (r.spec().workload() == Workload.PIPELINE && r.system().equals("tofu/tcp")) {
                String what = "pipeline " + r.spec().channels() + "ch x" + r.spec().inFlight() + " tcp: ";
                rate(out, r, find(all, r, "raw-vt/tcp"), 0.7, what + "tofu rate >= 0.7x raw-vt");
                rate(out, r, find(all, r, "jeromq/tcp"), 1.5, what + "tofu rate >= 1.5x jeromq");
            }
        }
    }

    private static void latency(PrintStream out, Result tofu, Result other, double max, String what) {
        if (other == null) {
            return;
        }
        double x = tofu.micros(50) / other.micros(50);
        out.printf(Locale.ROOT, "  %-58s %6.2fx  %s%n", what, x, x <= max ? "met" : "MISSED");
    }

    private static void rate(PrintStream out, Result tofu, Result other, double min, String what) {
        if (other == null) {
            return;
        }
        double x = tofu.rate() / other.rate();
        out.printf(Locale.ROOT, "  %-58s %6.2fx  %s%n", what, x, x >= min ? "met" : "MISSED");
    }

    private static Result find(List<Result> all, Result like, String system) {
        for (Result r : all) {
            if (r.system().equals(system) && r.spec().equals(like.spec())) {
                return r;
            }
        }
        return null;
    }
}
