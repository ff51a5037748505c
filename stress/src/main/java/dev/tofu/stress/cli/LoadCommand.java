package dev.tofu.stress.cli;

import picocli.CommandLine.Mixin;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** What {@code run}, {@code compare} and {@code smoke} share: options, then one {@link Session}. */
abstract class LoadCommand implements Callable<Integer> {
    @Mixin
    LoadOptions load = new LoadOptions();

    @Mixin
    SystemOptions sys = new SystemOptions();

    abstract String title();

    abstract boolean ratios();

    @Override
    public Integer call() throws Exception {
        List<Integer> processes = new ArrayList<>(sys.serverJvm ? List.of(2) : sys.processes.stream().distinct().sorted().toList());
        if (processes.stream().anyMatch(p -> p != 1 && p != 2)) {
            throw new IllegalArgumentException("--processes takes 1, 2 or 1,2");
        }
        if (!sys.connect.isEmpty()) {
            if (processes.contains(2)) {
                throw new IllegalArgumentException("--connect loads a server that runs elsewhere: --processes 2 / --server-jvm do not apply");
            }
        } else if (processes.contains(1) && load.specs().stream().anyMatch(s -> s.channels() > 4000)) {
            System.err.println("note: over 4000 channels at once: every server runs in a second JVM "
                    + "(each process may open 20000 files)");
            processes = List.of(2);
        }
        String command = "harness " + String.join(" ", dev.tofu.stress.Main.lastArgs());
        return new Session().run(title(), sys.systems, sys.transports, processes, sys.serverJvmOptions, load,
                Session.tofuServer(sys.connect), ratios(), command);
    }
}
