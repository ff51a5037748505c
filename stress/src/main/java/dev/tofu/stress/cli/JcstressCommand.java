package dev.tofu.stress.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** Runs the jcstress tests in this jar; every argument goes to jcstress unchanged. */
@Command(name = "jcstress", description = {"Runs the jcstress tests in this jar; every argument goes to jcstress, "
        + "e.g. 'jcstress -m quick -t dev.tofu'."})
public final class JcstressCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "JCSTRESS-ARGS", description = "jcstress's own arguments.")
    List<String> args = List.of();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jcstress.Main.main(args.toArray(String[]::new));
        return 0;
    }
}
