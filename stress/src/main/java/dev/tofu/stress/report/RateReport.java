package dev.tofu.stress.report;

import dev.tofu.stress.load.RateSteps;
import dev.tofu.stress.load.Result;
import dev.tofu.stress.load.Workload;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rate workload's summary: per shape and system, the highest offered rate at which the system
 * kept up (served at least {@link RateSteps#KEEP_UP} of it) with a p99 under 1 ms.
 */
public final class RateReport {
    /** The p99 bound of the summary, µs. */
    public static final double P99_BOUND_MICROS = 1000;

    private RateReport() {
    }

    /** Prints the summary; nothing when the results hold no rate step. */
    public static void print(PrintStream out, List<Result> all) {
        Map<String, Map<String, List<RateSteps.Step>>> byShape = steps(all);
        for (Map.Entry<String, Map<String, List<RateSteps.Step>>> shape : byShape.entrySet()) {
            out.println(shape.getKey() + ": highest offered rate with p99 under 1 ms (and at least "
                    + Math.round(RateSteps.KEEP_UP * 100) + " % of it served):");
            for (Map.Entry<String, List<RateSteps.Step>> sys : shape.getValue().entrySet()) {
                long best = RateSteps.highestUnder(sys.getValue(), P99_BOUND_MICROS);
                long top = sys.getValue().stream().mapToLong(RateSteps.Step::offered).max().orElse(0);
                out.printf(Locale.ROOT, "  %-22s %s%n", sys.getKey(), best == 0 ? "none of the rates offered"
                        : String.format(Locale.ROOT, "%,d msg/s%s", best, best == top ? " (the highest offered: not saturated)" : ""));
            }
            out.println();
        }
    }

    /** Rate steps by shape ("rate 16ch 64B"), then by system, in the order of the results. */
    static Map<String, Map<String, List<RateSteps.Step>>> steps(List<Result> all) {
        Map<String, Map<String, List<RateSteps.Step>>> out = new LinkedHashMap<>();
        for (Result r : all) {
            if (r.spec().workload() != Workload.RATE) {
                continue;
            }
            out.computeIfAbsent(r.spec().family(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.system(), k -> new ArrayList<>())
                    .add(new RateSteps.Step(r.spec().offeredRate(), r.rate(), r.micros(99)));
        }
        return out;
    }
}
