package dev.tofu.stress;

import dev.tofu.stress.bench.AllocationSites;
import dev.tofu.stress.cli.CompareCommand;
import dev.tofu.stress.cli.JcstressCommand;
import dev.tofu.stress.cli.JmhCommand;
import dev.tofu.stress.cli.RunCommand;
import dev.tofu.stress.cli.ServerCommand;
import dev.tofu.stress.cli.SmokeCommand;
import dev.tofu.stress.cli.SoakCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Arrays;
import java.util.List;

/**
 * The stress harness's entry point ({@code ./harness}): subcommands {@code run} (the default),
 * {@code compare}, {@code smoke}, {@code soak}, {@code server}, {@code jmh}, {@code jcstress}, and
 * {@code alloc-sites} ({@link AllocationSites}, passed its arguments unparsed like {@code jmh}).
 */
@Command(name = "harness", mixinStandardHelpOptions = true, version = "tofu stress harness 0.1.0",
        description = {"The tofu for Java stress harness: how fast and how trustworthy tofu is, and how it compares.",
                "Without a subcommand it runs 'run' with its defaults (about 30 s).",
                "Every run accounts for every message (sent = echoed + returned with a status) and checks payload "
                        + "checksums and leaks; it exits 1 when anything was lost, duplicated, corrupted or leaked."},
        subcommands = {RunCommand.class, CompareCommand.class, SmokeCommand.class, SoakCommand.class, ServerCommand.class,
                JmhCommand.class, JcstressCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
                "  ./harness                                  default run: every workload, tofu over TCP and UDS",
                "  ./harness compare --out results            tofu vs raw sockets, JeroMQ, Netty, gRPC; CSV, JSON, charts",
                "  ./harness compare --processes 1,2          the same with every server also in a second JVM (rows @2jvm)",
                "  ./harness compare --workloads rate --systems tofu,netty   latency at fixed offered rates, stepped",
                "  ./harness run --workloads idle --systems tofu/tcp         CPU of 1,000 quiet channels (% of a core)",
                "  ./harness run --workloads fanin --fanin-channels 10000   10,000 channels (servers in a second JVM)",
                "  ./harness run --workloads pingpong,pipeline --pipeline-channels 1,16,256 --duration 5",
                "  ./harness soak --duration 10m --seed 42     mixed load + random faults; back to baseline after",
                "  ./harness server --tcp 0.0.0.0:7099        an echo server for '--connect tcp|HOST|7099' elsewhere",
                "  ./harness jmh RoundTripBench -prof gc      allocation per round trip (JMH), tofu and raw sockets",
                "  ./harness alloc-sites --transport TCP      tofu's allocation per round trip by site (JFR, no TLABs)"})
public final class Main implements Runnable {
    private static volatile List<String> lastArgs = List.of();

    private Main() {
    }

    /** The command line this process was started with (for reports). */
    public static List<String> lastArgs() {
        return lastArgs;
    }

    @Override
    public void run() {
        // no subcommand: main() ran "run" instead
    }

    public static void main(String[] args) throws Exception {
        lastArgs = List.of(args);
        if (args.length > 0 && args[0].equals("alloc-sites")) {
            AllocationSites.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && (args[0].equals("jmh") || args[0].equals("jcstress"))) {
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            if (args[0].equals("jmh")) {
                org.openjdk.jmh.Main.main(rest);
            } else {
                org.openjdk.jcstress.Main.main(rest);
            }
            return;
        }
        String[] effective = args;
        if (args.length == 0 || args[0].startsWith("--") && !isRootOption(args[0])) {
            effective = new String[args.length + 1];
            effective[0] = "run";
            System.arraycopy(args, 0, effective, 1, args.length);
        }
        CommandLine cl = new CommandLine(new Main());
        cl.setUsageHelpWidth(120);
        cl.setExecutionExceptionHandler(Main::reportUserError);
        int code = cl.execute(effective);
        System.exit(code);
    }

    /**
     * A run that cannot start (a bad combination of options, a server without the listener asked
     * for, a refused connection) ends with one line naming why and exit code 2, like a usage error;
     * anything else is a bug and keeps its stack trace.
     */
    private static int reportUserError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof java.io.IOException) {
            StringBuilder why = new StringBuilder(String.valueOf(e.getMessage()));
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                why.append(": ").append(c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName());
            }
            cmd.getErr().println("harness " + cmd.getCommandName() + ": " + why);
            return CommandLine.ExitCode.USAGE;
        }
        throw e;
    }

    private static boolean isRootOption(String a) {
        return a.equals("--help") || a.equals("-h") || a.equals("--version") || a.equals("-V");
    }
}
