package dev.tofu.stress.cli;

import picocli.CommandLine.Command;

import java.util.List;

/** The default run: tofu over TCP and UDS, every workload at a moderate size, about 30 s. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the workloads against an embedded tofu echo server with a TCP and a UDS listener "
                + "(the default when no subcommand is given: every workload, moderate sizes, about 30 s on 2 cores).",
                "Exits 1 if any message was lost, duplicated or corrupted, or anything leaked."})
public final class RunCommand extends LoadCommand {
    public RunCommand() {
        load.defaults(List.of("all"), 2.0, 0.5, 1, List.of(16), 1000, 10, 1 << 20, 8);
    }

    @Override
    String title() {
        return "tofu stress harness";
    }

    @Override
    boolean ratios() {
        return sys.systems.size() > 1 || sys.systems.contains("all");
    }
}
