package dev.tofu.stress.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs the JMH microbenchmarks in this jar (codec, pool, loopback round trip). Everything after
 * {@code jmh} goes to JMH unchanged ({@code Main} passes it on before picocli parses anything).
 */
@Command(name = "jmh", description = {"Runs the JMH microbenchmarks (CodecBench, PoolBench, RoundTripBench); "
        + "every argument goes to JMH, e.g. 'jmh RoundTrip -prof gc' or 'jmh -h'."})
public final class JmhCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "JMH-ARGS", description = "JMH's own arguments.")
    List<String> args = List.of();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(args.toArray(String[]::new));
        return 0;
    }
}
