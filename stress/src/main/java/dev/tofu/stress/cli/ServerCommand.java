package dev.tofu.stress.cli;

import dev.tofu.Address;
import dev.tofu.stress.sys.ServerHost;
import dev.tofu.stress.sys.TofuEchoServer;
import dev.tofu.stress.sys.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * A standalone tofu echo server: what another machine's (or another JVM's) {@code run --connect}
 * loads. With {@code --control} it is the second JVM of a two-process run instead: it runs the
 * server halves of any systems the harness asks for ({@link ServerHost}'s line protocol on
 * stdin/stdout) and exits 0 when they closed clean.
 */
@Command(name = "server", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs a tofu echo server (TCP and/or UDS listener) until Ctrl-C, --duration, or (with --control) 'stop' on stdin.")
public final class ServerCommand implements Callable<Integer> {
    @Option(names = "--tcp", paramLabel = "HOST:PORT", description = "TCP listen address, 'none' for no TCP listener (default: ${DEFAULT-VALUE}; port 0 = any).")
    String tcp = "127.0.0.1:0";

    @Option(names = "--uds", paramLabel = "PATH", description = "UDS listen path, 'none' for no UDS listener (default: a fresh temporary path).")
    String uds = "";

    @Option(names = "--duration", paramLabel = "S", description = "Stop after S seconds (default: run until stopped).")
    double duration;

    @Option(names = "--control", description = "Be the server JVM of a two-process run: serve any system's server half on the harness's commands on stdin (used by --processes 2).")
    boolean control;

    @Override
    public Integer call() throws Exception {
        if (control) {
            return new ServerHost(System.out).serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        }
        TofuEchoServer server = new TofuEchoServer(TofuEchoServer.defaultOptions());
        if (!tcp.equals("none")) {
            int colon = tcp.lastIndexOf(':');
            Address a = server.listen(Transport.TCP, Address.tcpServer(tcp.substring(0, colon), Integer.parseInt(tcp.substring(colon + 1))));
            System.out.println("LISTEN TCP " + a.value());
        }
        if (!uds.equals("none")) {
            Address a = server.listen(Transport.UDS, Address.udsServer(Path.of(uds)));
            System.out.println("LISTEN UDS " + a.value());
        }
        System.out.println("READY");
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("echoing; load it with: harness run --connect <address above>[,<other address>]");
        if (duration > 0) {
            Thread.sleep(Math.round(duration * 1000));
            server.close();
        } else {
            Thread.currentThread().join();
        }
        return 0;
    }
}
