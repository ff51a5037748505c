package dev.tofu.stress.cli;

import dev.tofu.Address;
import dev.tofu.stress.load.LoadSpec;
import dev.tofu.stress.load.Progress;
import dev.tofu.stress.load.Result;
import dev.tofu.stress.load.Runner;
import dev.tofu.stress.report.Charts;
import dev.tofu.stress.report.Report;
import dev.tofu.stress.sys.EchoSystem;
import dev.tofu.stress.sys.EmbeddedTofuServer;
import dev.tofu.stress.sys.ForkedTofuServer;
import dev.tofu.stress.sys.Systems;
import dev.tofu.stress.sys.TofuServerHandle;
import dev.tofu.internal.engine.Engine;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a list of measurements on a list of systems, interleaved: in each round every measurement
 * runs on every system, the systems' order rotating from round to round, so slow drift (JIT, GC,
 * noisy neighbours) hits all systems alike. Rounds of the same (system, measurement) are merged.
 * Then prints the table (and the failures), writes files, and returns the exit code.
 */
final class Session {
    private final PrintStream out = System.out;

    /** Where the tofu server lives for this session. */
    static TofuServerHandle tofuServer(List<String> connect, boolean fork, List<String> serverJvmOptions) {
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
        return fork ? new ForkedTofuServer(serverJvmOptions) : new EmbeddedTofuServer();
    }

    int run(String title, List<String> systemNames, List<String> transports, LoadOptions o, TofuServerHandle server,
            boolean ratios, String command) throws Exception {
        List<LoadSpec> specs = o.specs();
        List<EchoSystem> systems = new ArrayList<>();
        for (EchoSystem s : Systems.create(systemNames, new Systems.Context(server))) {
            if (transports == null || transports.isEmpty() || transports.contains(s.transport().label())) {
                systems.add(s);
            }
        }
        if (systems.isEmpty()) {
            throw new IllegalArgumentException("no system left to run (systems " + systemNames + ", transports " + transports + ")");
        }
        String machine = Report.machine();
        out.println("# " + title + ": " + machine);
        out.println("# systems: " + systems.stream().map(EchoSystem::label).toList() + "; " + o.rounds + " round(s); "
                + specs.size() + " measurement(s); " + o.warmup + " s warm-up + " + o.duration + " s each"
                + (o.jitWarmup > 0 ? "; first " + o.jitWarmup + " s of JIT warm-up per system and measurement" : ""));
        Map<String, List<Result>> rounds = new LinkedHashMap<>();
        List<Result> all = new ArrayList<>();
        List<Result> warmupFailures = new ArrayList<>();
        boolean failed = false;
        try (Progress progress = new Progress(!o.noProgress)) {
            Runner runner = new Runner(progress, o.leakWaitMillis);
            List<EchoSystem> started = new ArrayList<>();
            try {
                for (EchoSystem s : systems) {
                    s.start();
                    started.add(s);
                }
                if (o.jitWarmup > 0) {
                    for (LoadSpec spec : specs) {
                        LoadSpec warm = spec.withTimes(0, Math.round(o.jitWarmup * 1000));
                        for (EchoSystem s : systems) {
                            Result r = runner.run(s, warm);
                            if (!r.ok()) {
                                warmupFailures.add(r);
                            }
                            progress.println(String.format("  %-34s %-11s %,11.0f msg/s  (JIT warm-up, not counted)  %s",
                                    spec.label(), s.label(), r.rate(), r.ok() ? "ok" : "FAIL"));
                        }
                    }
                }
                for (int round = 0; round < o.rounds; round++) {
                    for (LoadSpec spec : specs) {
                        for (int k = 0; k < systems.size(); k++) {
                            EchoSystem s = systems.get((k + round) % systems.size());
                            Result r = runner.run(s, spec);
                            rounds.computeIfAbsent(s.label() + "|" + spec, x -> new ArrayList<>()).add(r);
                            progress.println(String.format("  %-34s %-11s %,11.0f msg/s  p50 %8.1f us  p99 %8.1f us  %s",
                                    spec.label(), s.label(), r.rate(), r.micros(50), r.micros(99), r.ok() ? "ok" : "FAIL"));
                        }
                    }
                }
            } finally {
                for (EchoSystem s : started) {
                    s.close();
                }
            }
        }
        for (LoadSpec spec : specs) {
            for (EchoSystem s : systems) {
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
        if (server instanceof ForkedTofuServer f) {
            String end = f.stop();
            if (!end.equals("ok")) {
                threadLeak.add("server JVM: " + end);
            }
        }
        out.println();
        Report.table(out, all, ratios);
        out.println();
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
                out.println("wrote " + Charts.write(o.out, all, title));
            } catch (RuntimeException | java.io.IOException e) {
                out.println("warning: no chart: " + e); // the table and the files above are the results
            }
        }
        out.println(failed ? "RESULT: FAILED (see above)" : "RESULT: every message accounted for, nothing leaked");
        return failed ? 1 : 0;
    }
}
