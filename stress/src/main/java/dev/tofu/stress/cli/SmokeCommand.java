package dev.tofu.stress.cli;

import picocli.CommandLine.Command;

import java.util.List;

/** The CI smoke run: every workload briefly at small sizes, tofu over TCP and UDS. */
@Command(name = "smoke", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"A short run for CI: every workload for about a second at small sizes on tofu over TCP and UDS "
                + "(20-40 s on 2 cores). Exits 1 on any lost, duplicated or corrupted message or any leak."})
public final class SmokeCommand extends LoadCommand {
    public SmokeCommand() {
        load.defaults(List.of("all"), 1.0, 0.3, 1, List.of(4), 200, 5, 256 * 1024, 4);
        load.inFlight = 16;
        load.churnExchanges = 5;
        load.leakWaitMillis = 10_000;
    }

    @Override
    String title() {
        return "tofu smoke";
    }

    @Override
    boolean ratios() {
        return false;
    }
}
