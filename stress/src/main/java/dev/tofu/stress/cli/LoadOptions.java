package dev.tofu.stress.cli;

import dev.tofu.stress.load.LoadSpec;
import dev.tofu.stress.load.Workload;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The options every load-running subcommand shares: which workloads, their size knobs, timings,
 * where to write files. Defaults are set by each subcommand ({@link #defaults}) before parsing.
 */
public final class LoadOptions {
    @Option(names = "--workloads", split = ",", paramLabel = "W",
            description = "Workloads to run, comma-separated: pingpong, pipeline, fanin, stream, churn, rate, idle, or all "
                    + "(the first five; rate and idle only when named) (default: ${DEFAULT-VALUE}).")
    List<String> workloads = new ArrayList<>(List.of("all"));

    @Option(names = "--duration", paramLabel = "S", description = "Measured seconds per measurement (default: ${DEFAULT-VALUE}).")
    double duration = 2.0;

    @Option(names = "--warmup", paramLabel = "S", description = "Warm-up seconds before each measurement (default: ${DEFAULT-VALUE}).")
    double warmup = 0.5;

    @Option(names = "--jit-warmup", paramLabel = "S",
            description = "Seconds of load per system and measurement before the first round, not measured, so the JIT "
                    + "has compiled every system's hot paths before anything counts; a message lost meanwhile still fails "
                    + "the run (default: ${DEFAULT-VALUE}).")
    double jitWarmup = 0;

    @Option(names = "--rounds", paramLabel = "N",
            description = "Rounds: every measurement runs N times, systems interleaved (A,B,C,A,B,C...) and merged (default: ${DEFAULT-VALUE}).")
    int rounds = 1;

    @Option(names = "--size", paramLabel = "BYTES", description = "Payload of pingpong, pipeline, fanin and churn messages (default: ${DEFAULT-VALUE}).")
    int size = 64;

    @Option(names = "--pipeline-channels", split = ",", paramLabel = "N",
            description = "pipeline: channels; several values give several measurements (default: ${DEFAULT-VALUE}).")
    List<Integer> pipelineChannels = new ArrayList<>(List.of(16));

    @Option(names = "--in-flight", paramLabel = "K", description = "pipeline: messages in flight per channel (default: ${DEFAULT-VALUE}).")
    int inFlight = 64;

    @Option(names = "--fanin-channels", paramLabel = "N",
            description = "fanin: channels open at once, up to 10000 (over 4000 every server runs in a second JVM) (default: ${DEFAULT-VALUE}).")
    int faninChannels = 1000;

    @Option(names = "--fanin-messages", paramLabel = "M", description = "fanin: round trips per channel (default: ${DEFAULT-VALUE}).")
    int faninMessages = 10;

    @Option(names = "--stream-size", paramLabel = "BYTES", description = "stream: bytes per message, split into chunks (default: ${DEFAULT-VALUE}).")
    int streamSize = 1 << 20;

    @Option(names = "--stream-chunk", paramLabel = "BYTES", description = "stream: bytes per chunk, at most 65535 (default: ${DEFAULT-VALUE}).")
    int streamChunk = 65535;

    @Option(names = "--stream-channels", paramLabel = "N", description = "stream: channels (default: ${DEFAULT-VALUE}).")
    int streamChannels = 2;

    @Option(names = "--stream-in-flight", paramLabel = "K", description = "stream: chunks in flight per channel (default: ${DEFAULT-VALUE}).")
    int streamInFlight = 2;

    @Option(names = "--churn-channels", paramLabel = "N", description = "churn: connections cycling at once (default: ${DEFAULT-VALUE}).")
    int churnChannels = 8;

    @Option(names = "--churn-exchanges", paramLabel = "M", description = "churn: round trips per connection before it closes (default: ${DEFAULT-VALUE}).")
    int churnExchanges = 10;

    @Option(names = "--rates", split = ",", paramLabel = "R",
            description = "rate: offered rates to step through, messages/s over all channels, ascending; a system is not "
                    + "offered more once it served under 90 %% of a rate (default: ${DEFAULT-VALUE}).")
    List<Long> rates = new ArrayList<>(List.of(5_000L, 10_000L, 20_000L, 40_000L, 70_000L, 100_000L, 150_000L, 200_000L,
            300_000L, 400_000L));

    @Option(names = "--rate-channels", paramLabel = "N",
            description = "rate: channels, one message in flight each, their send schedules staggered (default: ${DEFAULT-VALUE}).")
    int rateChannels = 16;

    @Option(names = "--idle-channels", paramLabel = "N", description = "idle: quiet channels open at once (default: ${DEFAULT-VALUE}).")
    int idleChannels = 1000;

    @Option(names = "--idle-seconds", paramLabel = "S", description = "idle: measured quiet seconds (default: ${DEFAULT-VALUE}).")
    double idleSeconds = 10;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write results.csv, results.json, a chart per workload (chart-<workload>.png: latency percentiles, "
                    + "throughput and CPU per message per system; rate: p50/p99/p99.9 against the offered rate) and all of them "
                    + "in results.png into DIR.")
    Path out;

    @Option(names = "--no-progress", description = "No live progress line.")
    boolean noProgress;

    @Option(names = "--leak-wait", paramLabel = "MS", description = "How long to wait for channels and threads to settle before a leak counts (default: ${DEFAULT-VALUE}).")
    long leakWaitMillis = 10_000;

    /** Sets the subcommand's defaults (before picocli parses, so the help shows them). */
    LoadOptions defaults(List<String> workloads, double duration, double warmup, int rounds, List<Integer> pipeline,
                         int fanin, int faninMsgs, int streamSize, int churnChannels) {
        this.workloads = new ArrayList<>(workloads);
        if (rounds > 1) {
            this.jitWarmup = 2.0; // interleaved rounds compare systems: none may still be compiling
        }
        this.duration = duration;
        this.warmup = warmup;
        this.rounds = rounds;
        this.pipelineChannels = new ArrayList<>(pipeline);
        this.faninChannels = fanin;
        this.faninMessages = faninMsgs;
        this.streamSize = streamSize;
        this.churnChannels = churnChannels;
        return this;
    }

    /** The measurements these options describe, in workload order. */
    List<LoadSpec> specs() {
        List<Workload> chosen = new ArrayList<>();
        for (String w : workloads) {
            String s = w.trim().toLowerCase(java.util.Locale.ROOT);
            if (s.equals("all")) {
                for (Workload x : Workload.values()) {
                    if (x != Workload.RATE && x != Workload.IDLE && !chosen.contains(x)) {
                        chosen.add(x);
                    }
                }
                continue;
            }
            Workload x;
            try {
                x = Workload.valueOf(s.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown workload '" + w + "' (pingpong, pipeline, fanin, stream, churn, rate, idle, all)");
            }
            if (!chosen.contains(x)) {
                chosen.add(x);
            }
        }
        chosen.sort(null);
        long wu = Math.round(warmup * 1000);
        long d = Math.round(duration * 1000);
        List<LoadSpec> out = new ArrayList<>();
        for (Workload w : chosen) {
            switch (w) {
                case PINGPONG -> out.add(new LoadSpec(w, 1, 1, size, size, 0, wu, d));
                case PIPELINE -> {
                    for (int n : pipelineChannels) {
                        out.add(new LoadSpec(w, n, inFlight, size, size, 0, wu, d));
                    }
                }
                case FANIN -> out.add(new LoadSpec(w, faninChannels, 1, size, size, faninMessages, 0, 0));
                case STREAM -> out.add(new LoadSpec(w, streamChannels, streamInFlight, streamSize,
                        Math.min(streamChunk, Math.min(streamSize, LoadSpec.MAX_CHUNK)), 0, wu, d));
                case CHURN -> out.add(new LoadSpec(w, churnChannels, 1, size, size, churnExchanges, wu, d));
                case RATE -> {
                    for (long r : rates.stream().sorted().distinct().toList()) {
                        out.add(new LoadSpec(w, rateChannels, 1, size, size, 0, wu, d, r));
                    }
                }
                case IDLE -> out.add(new LoadSpec(w, idleChannels, 1, size, size, 1, Math.max(wu, 1000),
                        Math.round(idleSeconds * 1000)));
            }
        }
        return out;
    }
}
