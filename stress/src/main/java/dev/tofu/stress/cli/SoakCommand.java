package dev.tofu.stress.cli;

import dev.tofu.stress.soak.Soak;
import dev.tofu.stress.sys.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The soak run: mixed load with random faults for a long while, then everything must be back to its baseline. */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a mixed load (pingpong, pipelines, streamed large payloads, churn) over TCP and UDS against "
                + "an embedded tofu echo server for --duration while injecting faults at random: client channels aborted "
                + "with ByeSignal mid-pipeline, client reactors closed with messages in flight, server channels closed "
                + "with ByeSignal, raw sockets sending garbage / half a header / a bad opcode / nothing, connect bursts.",
                "Every message must be echoed, returned with a status, or cut by a fault that hit its connection; then "
                        + "heap after GC, platform threads, file descriptors and tofu threads must return to the baseline "
                        + "taken after a warm-up. Exits 1 otherwise."})
public final class SoakCommand implements Callable<Integer> {
    @Option(names = "--duration", paramLabel = "TIME", converter = DurationConverter.class,
            description = "How long the soak runs: 30s, 2m, 10m, 1h, 1500ms or plain seconds (default: 2m).")
    long durationMillis = 120_000;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the fault injector and the load shapes (default: random, printed).")
    Long seed;

    @Option(names = "--transport", split = ",", paramLabel = "T", description = "Transports: tcp, uds (default: tcp,uds).")
    List<String> transports = new ArrayList<>(List.of("tcp", "uds"));

    @Option(names = "--fault-interval", paramLabel = "MS",
            description = "Mean milliseconds between faults; the gaps are random (exponential) (default: ${DEFAULT-VALUE}).")
    double faultMeanMillis = 500;

    @Option(names = "--warmup", paramLabel = "TIME", converter = DurationConverter.class,
            description = "Warm-up before the baseline is taken (default: a tenth of the duration, 1 s to 5 s).")
    Long warmupMillis;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write the summary as soak.json into DIR.")
    Path out;

    @Option(names = "--no-progress", description = "No live progress line.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        List<Transport> ts = new ArrayList<>();
        for (String t : transports) {
            Transport tr = Transport.valueOf(t.trim().toUpperCase(Locale.ROOT));
            if (!ts.contains(tr)) {
                ts.add(tr);
            }
        }
        long s = seed != null ? seed : new java.security.SecureRandom().nextLong();
        long warm = warmupMillis != null ? warmupMillis : Math.max(1000, Math.min(5000, durationMillis / 10));
        String command = "harness " + String.join(" ", dev.tofu.stress.Main.lastArgs());
        return new Soak(new Soak.Config(durationMillis, s, ts, faultMeanMillis, warm, !noProgress, out, command)).run();
    }

    /** "30s", "2m", "10m", "1h", "1500ms", or plain seconds ("90", "2.5") to milliseconds. */
    static final class DurationConverter implements ITypeConverter<Long> {
        private static final Pattern P = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min|h)?");

        @Override
        public Long convert(String value) {
            Matcher m = P.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException("not a duration: '" + value + "' (use e.g. 30s, 2m, 10m, 1h)");
            }
            double v = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            double ms = switch (unit) {
                case "ms" -> v;
                case "s" -> v * 1000;
                case "m", "min" -> v * 60_000;
                default -> v * 3_600_000;
            };
            if (ms < 1000) {
                throw new IllegalArgumentException("duration too short: '" + value + "' (at least 1s)");
            }
            return Math.round(ms);
        }
    }
}
