package dev.tofu.stress.cli;

import picocli.CommandLine.Mixin;

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
        boolean fork = sys.serverJvm || load.specs().stream().anyMatch(s -> s.channels() > 4000);
        if (fork && !sys.serverJvm && sys.connect.isEmpty()) {
            System.err.println("note: over 4000 channels at once: the tofu echo server runs in a second JVM "
                    + "(each process may open 20000 files)");
        }
        String command = "harness " + String.join(" ", dev.tofu.stress.Main.lastArgs());
        return new Session().run(title(), sys.systems, sys.transports, load,
                Session.tofuServer(sys.connect, fork, sys.serverJvmOptions), ratios(), command);
    }

    static List<String> list(String... s) {
        return List.of(s);
    }
}
