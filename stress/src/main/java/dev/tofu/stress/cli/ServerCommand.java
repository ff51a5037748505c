package dev.tofu.stress.cli;

import dev.tofu.Address;
import dev.tofu.internal.engine.Engine;
import dev.tofu.stress.load.Runner;
import dev.tofu.stress.sys.EmbeddedTofuServer;
import dev.tofu.stress.sys.ForkedTofuServer;
import dev.tofu.stress.sys.TofuEchoServer;
import dev.tofu.stress.sys.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A standalone tofu echo server: what another machine's (or another JVM's) {@code run --connect}
 * loads. With {@code --control} it is the second JVM of a forked run and answers a line protocol on
 * stdin/stdout (every answer starts with {@value ForkedTofuServer#TAG}): {@code heap} (heap after
 * GC and open channels), {@code leaks MS}, {@code stats}, {@code stop} (close, check engine threads,
 * exit 0 when clean).
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

    @Option(names = "--control", description = "Answer the harness's control protocol on stdin/stdout (used by --server-jvm).")
    boolean control;

    @Override
    public Integer call() throws Exception {
        TofuEchoServer server = new TofuEchoServer(TofuEchoServer.defaultOptions());
        String tag = control ? ForkedTofuServer.TAG : "";
        if (!tcp.equals("none")) {
            int colon = tcp.lastIndexOf(':');
            Address a = server.listen(Transport.TCP, Address.tcpServer(tcp.substring(0, colon), Integer.parseInt(tcp.substring(colon + 1))));
            System.out.println(tag + "LISTEN TCP " + a.value());
        }
        if (!uds.equals("none")) {
            Address a = server.listen(Transport.UDS, Address.udsServer(Path.of(uds)));
            System.out.println(tag + "LISTEN UDS " + a.value());
        }
        System.out.println(tag + "READY");
        System.out.flush();
        if (!control) {
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
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.trim().split(" ");
            switch (p[0]) {
                case "heap" -> say("HEAP " + Runner.heapAfterGc() + " " + server.engine().openChannels());
                case "leaks" -> {
                    List<String> leaks = EmbeddedTofuServer.serverLeaks(server, Long.parseLong(p[1]));
                    say("LEAKS " + leaks.size());
                    leaks.forEach(l -> say("LEAK " + l));
                }
                case "stats" -> say("STATS echoed " + server.echoed.sum() + ", notices " + server.notices.sum()
                        + ", open channels " + server.engine().openChannels());
                case "stop" -> {
                    return stop(server);
                }
                default -> say("ERROR unknown command '" + line + "'");
            }
        }
        return stop(server);
    }

    private static int stop(TofuEchoServer server) throws InterruptedException {
        List<String> leaks = EmbeddedTofuServer.serverLeaks(server, 5000);
        server.close();
        long deadline = System.currentTimeMillis() + 10_000;
        while (Engine.liveThreads() != 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        String result = leaks.isEmpty() ? "ok" : String.join("; ", leaks);
        if (Engine.liveThreads() != 0) {
            result = (leaks.isEmpty() ? "" : result + "; ") + Engine.liveThreads() + " engine threads alive after close";
        }
        say("STOPPED " + result);
        return result.equals("ok") ? 0 : 1;
    }

    private static void say(String s) {
        System.out.println(ForkedTofuServer.TAG + s);
        System.out.flush();
    }
}
