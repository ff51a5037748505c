package dev.tofu.stress.cli;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Which systems and where the tofu server lives. */
public final class SystemOptions {
    @Option(names = "--systems", split = ",", paramLabel = "S",
            description = "Systems: all, or labels/names among tofu/tcp, tofu/uds, raw-vt, raw-pt (tcp and uds), jeromq/tcp, netty/tcp (default: ${DEFAULT-VALUE}).")
    List<String> systems = new ArrayList<>(List.of("tofu"));

    @Option(names = "--transports", split = ",", paramLabel = "T", description = "Only these transports: tcp, uds (default: both).")
    List<String> transports = new ArrayList<>();

    @Option(names = "--server-jvm", description = "Run the tofu echo server in a second JVM (automatic when a measurement holds over 4000 channels).")
    boolean serverJvm;

    @Option(names = "--server-jvm-opts", split = " ", paramLabel = "OPTS",
            description = "JVM options of the server JVM, space-separated (default: ${DEFAULT-VALUE}).")
    List<String> serverJvmOptions = new ArrayList<>(List.of("-Xmx4g", "-XX:+UseG1GC"));

    @Option(names = "--connect", split = ",", paramLabel = "ADDR",
            description = "Load a tofu echo server that runs elsewhere (see the server subcommand) instead of an embedded one: tcp|host|port and/or uds|path.")
    List<String> connect = new ArrayList<>();
}
