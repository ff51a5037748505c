package dev.tofu.stress.sys;

import dev.tofu.internal.engine.Engine;
import dev.tofu.stress.load.Cpu;
import dev.tofu.stress.load.Runner;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The child side of a {@link ServerJvm}: runs the server halves of systems by label and answers
 * one line per command on stdout, every answer prefixed with {@link ServerJvm#TAG}:
 * <pre>
 * start LABEL            STARTED endpoint
 * prepare LABEL C K MAX  PREPARED endpoint|-
 * leaks LABEL MS         LEAKS n, then n lines LEAK text
 * stats LABEL            STATS text
 * close LABEL            CLOSED
 * cpu                    CPU nanoseconds (this process, user + system)
 * heap                   HEAP bytes (after GC)
 * stop                   STOPPED ok|what leaked   (closes every server, checks engine threads)
 * </pre>
 * A command that fails answers {@code ERROR text}.
 */
public final class ServerHost {
    private final PrintStream out;
    private final Map<String, EchoServer> servers = new LinkedHashMap<>();
    private final Systems.Context context = new Systems.Context(new EmbeddedTofuServer());

    public ServerHost(PrintStream out) {
        this.out = out;
    }

    /** Answers commands from {@code in} until {@code stop} or end of input; returns the exit code. */
    public int serve(BufferedReader in) throws IOException, InterruptedException {
        say("READY");
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.trim().split(" ");
            try {
                if (p[0].equals("stop")) {
                    return stop();
                }
                answer(p);
            } catch (Exception e) {
                say("ERROR " + p[0] + ": " + e);
            }
        }
        return stop();
    }

    private void answer(String[] p) throws Exception {
        switch (p[0]) {
            case "start" -> {
                if (servers.containsKey(p[1])) {
                    throw new IllegalStateException(p[1] + " already started");
                }
                EchoServer s = Systems.create(List.of(p[1]), context).get(0).newServer();
                String endpoint = s.start();
                servers.put(p[1], s);
                say("STARTED " + endpoint);
            }
            case "prepare" -> {
                String e = server(p[1]).prepare(Integer.parseInt(p[2]), Integer.parseInt(p[3]), Integer.parseInt(p[4]));
                say("PREPARED " + (e == null ? "-" : e));
            }
            case "leaks" -> {
                List<String> leaks = server(p[1]).leaks(Long.parseLong(p[2]));
                say("LEAKS " + leaks.size());
                leaks.forEach(l -> say("LEAK " + l));
            }
            case "stats" -> say("STATS " + server(p[1]).stats());
            case "close" -> {
                EchoServer s = servers.remove(p[1]);
                if (s != null) {
                    s.close();
                }
                say("CLOSED");
            }
            case "cpu" -> say("CPU " + Cpu.processNanos());
            case "heap" -> say("HEAP " + Runner.heapAfterGc());
            default -> throw new IllegalArgumentException("unknown command");
        }
    }

    private EchoServer server(String label) {
        EchoServer s = servers.get(label);
        if (s == null) {
            throw new IllegalStateException(label + " not started");
        }
        return s;
    }

    private int stop() throws InterruptedException {
        StringBuilder problems = new StringBuilder();
        for (Map.Entry<String, EchoServer> e : servers.entrySet()) {
            try {
                e.getValue().close();
            } catch (RuntimeException x) {
                problems.append(e.getKey()).append(" close failed: ").append(x).append("; ");
            }
        }
        servers.clear();
        long deadline = System.currentTimeMillis() + 10_000;
        while (Engine.liveThreads() != 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20); // polling for threads to end, not synchronisation
        }
        if (Engine.liveThreads() != 0) {
            problems.append(Engine.liveThreads()).append(" engine threads alive after close; ");
        }
        String result = problems.isEmpty() ? "ok" : problems.substring(0, problems.length() - 2);
        say("STOPPED " + result);
        return result.equals("ok") ? 0 : 1;
    }

    private void say(String s) {
        out.println(ServerJvm.TAG + s);
        out.flush();
    }
}
