package dev.tofu.stress.cli;

import dev.tofu.Address;
import dev.tofu.internal.engine.Engine;
import dev.tofu.stress.load.LoadSpec;
import dev.tofu.stress.load.Progress;
import dev.tofu.stress.load.RateSteps;
import dev.tofu.stress.load.Result;
import dev.tofu.stress.load.Runner;
import dev.tofu.stress.load.Workload;
import dev.tofu.stress.report.Charts;
import dev.tofu.stress.report.RateReport;
import dev.tofu.stress.report.Report;
import dev.tofu.stress.sys.EchoSystem;
import dev.tofu.stress.sys.EmbeddedTofuServer;
import dev.tofu.stress.sys.ServerJvm;
import dev.tofu.stress.sys.SystemUnderTest;
import dev.tofu.stress.sys.Systems;
import dev.tofu.stress.sys.TofuServerHandle;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a list of measurements on a list of systems, interleaved: in each round every measurement
 * runs on every system, the systems' order rotating from round to round, so slow drift (JIT, GC,
 * noisy neighbours) hits all systems alike. Rounds of the same (system, measurement) are merged.
 * Each system runs once per placement asked for: its server in this JVM, in a second JVM
 * ({@link ServerJvm}, rows labelled {@value SystemUnderTest#FORKED_SUFFIX}), or both. The rate
 * workload's steps go up in offered rate, and a system that no longer kept up at one step is not
 * offered the higher ones. Then prints the table (and the failures), writes files, and returns the
 * exit code.
 */
final class Session {
    private final PrintStream out = System.out;

    /** The tofu server the tofu systems of this JVM use: an embedded one, or one elsewhere ({@code --connect}). */
    static TofuServerHandle tofuServer(List<String> connect) {
        if (connect != null && !connect.isEmpty()) {
            Address tcp = null;
            Address uds = null;
            for (String c : connect) {
                Address a = Address.parse(c.trim()); // tcp|host|port or uds|path: a client address
                if (a instanceof Address.TcpClient) {
                    tcp = a;
                } else {
                    uds = a;
                }
            }
            return TofuServerHandle.remote(tcp, uds);
        }
        return new EmbeddedTofuServer();
    }

    int run(String title, List<String> systemNames, List<String> transports, List<Integer> processes,
            List<String> serverJvmOptions, LoadOptions o, TofuServerHandle tofu, boolean ratios, String command)
            throws Exception {
        List<LoadSpec> specs = o.specs();
        ServerJvm jvm = processes.contains(2) ? new ServerJvm(serverJvmOptions) : null;
        List<SystemUnderTest> systems = systems(systemNames, transports, processes, tofu, jvm);
        String machine = Report.machine();
        out.println("# " + title + ": " + machine);
        out.println("# systems: " + systems.stream().map(SystemUnderTest::label).toList() + "; " + o.rounds + " round(s); "
                + specs.size() + " measurement(s); " + o.warmup + " s warm-up + " + o.duration + " s each"
                + (o.jitWarmup > 0 ? "; first " + o.jitWarmup + " s of JIT warm-up per system and measurement" : "")
                + (jvm != null ? "; server JVM options: " + jvm.jvmOptions() : ""));
        Map<String, List<Result>> rounds = new LinkedHashMap<>();
        List<Result> warmupFailures = new ArrayList<>();
        Map<String, Long> saturatedAt = new HashMap<>(); // rate: system label + shape -> lowest offered rate it did not keep up with
        boolean failed = false;
        try (Progress progress = new Progress(!o.noProgress)) {
            Runner runner = new Runner(progress, o.leakWaitMillis);
            List<SystemUnderTest> started = new ArrayList<>();
            try {
                for (SystemUnderTest s : systems) {
                    s.start();
                    started.add(s);
                }
                if (o.jitWarmup > 0) {
                    for (LoadSpec spec : specs) {
                        if (spec.workload() == Workload.IDLE) {
                            continue; // nothing to compile: the channels are quiet
                        }
                        LoadSpec warm = spec.withTimes(0, Math.round(o.jitWarmup * 1000));
                        for (SystemUnderTest s : systems) {
                            if (skip(saturatedAt, s, spec)) {
                                continue;
                            }
                            Result r = runner.run(s, warm);
                            if (!r.ok()) {
                                warmupFailures.add(r);
                            }
                            progress.println(String.format("  %-34s %-16s %,11.0f msg/s  (JIT warm-up, not counted)  %s",
                                    spec.label(), s.label(), r.rate(), r.ok() ? "ok" : "FAIL"));
                        }
                    }
                    saturatedAt.clear();
                }
                for (int round = 0; round < o.rounds; round++) {
                    for (LoadSpec spec : specs) {
                        for (int k = 0; k < systems.size(); k++) {
                            SystemUnderTest s = systems.get((k + round) % systems.size());
                            if (skip(saturatedAt, s, spec)) {
                                continue;
                            }
                            Result r = runner.run(s, spec);
                            rounds.computeIfAbsent(s.label() + "|" + spec, x -> new ArrayList<>()).add(r);
                            noteSaturation(saturatedAt, s, spec, r);
                            progress.println(String.format("  %-34s %-16s %,11.0f msg/s  p50 %8.1f us  p99 %8.1f us  cpu %s  %s",
                                    spec.label(), s.label(), r.rate(), r.micros(50), r.micros(99), cpu(r), r.ok() ? "ok" : "FAIL"));
                        }
                    }
                }
            } finally {
                for (SystemUnderTest s : started) {
                    s.close();
                }
            }
        }
        List<Result> all = new ArrayList<>();
        for (LoadSpec spec : specs) {
            for (SystemUnderTest s : systems) {
                List<Result> rs = rounds.get(s.label() + "|" + spec);
                if (rs != null) {
                    all.add(Result.merge(rs));
                }
            }
        }
        List<String> threadLeak = new ArrayList<>();
        long deadline = System.currentTimeMillis() + o.leakWaitMillis;
        while (Engine.liveThreads() != 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        if (Engine.liveThreads() != 0) {
            threadLeak.add(Engine.liveThreads() + " tofu engine threads alive after every reactor closed");
        }
        if (jvm != null) {
            String end = jvm.stop();
            if (!end.equals("ok")) {
                threadLeak.add("server JVM: " + end);
            }
        }
        out.println();
        Report.table(out, all, ratios);
        out.println();
        RateReport.print(out, all);
        if (ratios) {
            Targets.print(out, all);
        }
        failed |= Report.failures(out, all);
        if (!warmupFailures.isEmpty()) {
            out.println("During the JIT warm-up (--jit-warmup):");
            failed |= Report.failures(out, warmupFailures);
        }
        for (String l : threadLeak) {
            out.println("FAILED leak at exit: " + l);
            failed = true;
        }
        if (o.out != null) {
            Report.files(o.out, all, machine, command);
            out.println("wrote " + o.out.resolve("results.csv") + ", " + o.out.resolve("results.json"));
            try {
                for (java.nio.file.Path p : Charts.write(o.out, all, title)) {
                    out.println("wrote " + p);
                }
            } catch (RuntimeException | java.io.IOException e) {
                out.println("warning: no chart: " + e); // the table and the files above are the results
            }
        }
        out.println(failed ? "RESULT: FAILED (see above)" : "RESULT: every message accounted for, nothing leaked");
        return failed ? 1 : 0;
    }

    /** Every chosen system once per placement, the placements of one system next to each other. */
    private static List<SystemUnderTest> systems(List<String> names, List<String> transports, List<Integer> processes,
                                                 TofuServerHandle tofu, ServerJvm jvm) {
        Systems.Context context = new Systems.Context(tofu);
        List<SystemUnderTest> out = new ArrayList<>();
        List<EchoSystem> local = Systems.create(names, context);
        List<EchoSystem> forked = Systems.create(names, context);
        for (int i = 0; i < local.size(); i++) {
            EchoSystem s = local.get(i);
            if (transports != null && !transports.isEmpty() && !transports.contains(s.transport().label())) {
                continue;
            }
            if (s.unavailable() != null) {
                if (names.stream().anyMatch(n -> n.trim().equalsIgnoreCase(s.label()))) {
                    throw new IllegalStateException(s.label() + ": " + s.unavailable());
                }
                System.err.println("note: " + s.label() + " left out: " + s.unavailable());
                continue;
            }
            if (processes.contains(1)) {
                out.add(SystemUnderTest.local(s));
            }
            if (processes.contains(2)) {
                out.add(SystemUnderTest.forked(forked.get(i), jvm));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no system left to run (systems " + names + ", transports " + transports + ")");
        }
        return out;
    }

    private static String key(SystemUnderTest s, LoadSpec spec) {
        return s.label() + "|" + spec.family();
    }

    /** rate: whether this step is above one the system already did not keep up with. */
    private static boolean skip(Map<String, Long> saturatedAt, SystemUnderTest s, LoadSpec spec) {
        Long at = saturatedAt.get(key(s, spec));
        return spec.workload() == Workload.RATE && at != null && spec.offeredRate() > at;
    }

    private static void noteSaturation(Map<String, Long> saturatedAt, SystemUnderTest s, LoadSpec spec, Result r) {
        if (spec.workload() == Workload.RATE && RateSteps.saturated(r.rate(), spec.offeredRate())) {
            saturatedAt.merge(key(s, spec), spec.offeredRate(), Math::min);
        }
    }

    private static String cpu(Result r) {
        if (r.spec().workload() == Workload.IDLE) {
            return String.format(java.util.Locale.ROOT, "%.2f %% of a core", r.cpuPercentOfCore());
        }
        double us = r.cpuMicrosPerMsg();
        return Double.isNaN(us) ? "-" : String.format(java.util.Locale.ROOT, "%.1f us/msg", us);
    }
}
