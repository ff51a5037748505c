package dev.tofu.stress.cli;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Which systems, and where their servers run. */
public final class SystemOptions {
    @Option(names = "--systems", split = ",", paramLabel = "S",
            description = "Systems: all, or labels/names among tofu, tofu-nospin, tofu-direct, tofu-pt, tofu-lat, tofu-call, tofu-cluster, tofu-cluster2, "
                    + "raw-vt, raw-pt (each tcp and uds), jeromq/tcp, netty/tcp, grpc/tcp, grpc-vt/tcp (default: ${DEFAULT-VALUE}).")
    List<String> systems = new ArrayList<>(List.of("tofu"));

    @Option(names = "--transports", split = ",", paramLabel = "T", description = "Only these transports: tcp, uds (default: both).")
    List<String> transports = new ArrayList<>();

    @Option(names = "--processes", split = ",", paramLabel = "P",
            description = "Where each system's server runs: 1 = in the harness JVM, 2 = in a second JVM started with the same "
                    + "JVM options (rows labelled @2jvm), 1,2 = both, rows side by side (default: ${DEFAULT-VALUE}; over 4000 "
                    + "channels at once: 2).")
    List<Integer> processes = new ArrayList<>(List.of(1));

    @Option(names = "--server-jvm", description = "Same as --processes 2: every system's server in a second JVM.")
    boolean serverJvm;

    @Option(names = "--server-jvm-opts", split = " ", paramLabel = "OPTS",
            description = "JVM options of the server JVM, space-separated (default: the harness JVM's own options).")
    List<String> serverJvmOptions;

    @Option(names = "--connect", split = ",", paramLabel = "ADDR",
            description = "Load a tofu echo server that runs elsewhere (see the server subcommand) instead of an embedded one: tcp|host|port and/or uds|path.")
    List<String> connect = new ArrayList<>();
}
