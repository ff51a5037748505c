package dev.tofu.stress.sys;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM that runs the server halves of any systems: this harness's own jar started as
 * {@code server --control} (see {@link ServerHost}), with the JVM options given (by default the
 * harness JVM's own), talking a line protocol over the child's stdin/stdout. One child serves every
 * system of a run, as one JVM does in a one-process run; {@link #server(String)} gives the
 * {@link EchoServer} proxy of one system there. Started on first use, stopped by {@link #stop()}.
 */
public final class ServerJvm {
    /** Prefix of every control line the child writes; other output passes through to stderr. */
    public static final String TAG = "TOFU-SERVER ";

    private final List<String> jvmOptions;
    private Process process;
    private Writer control;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    /** @param jvmOptions options of the child JVM; null: the same options as this JVM */
    public ServerJvm(List<String> jvmOptions) {
        this.jvmOptions = jvmOptions == null
                ? List.copyOf(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
                : List.copyOf(jvmOptions);
    }

    /** The JVM options the child runs with. */
    public List<String> jvmOptions() {
        return jvmOptions;
    }

    private synchronized void ensureStarted() throws IOException {
        if (process != null) {
            return;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        if (jvmOptions.stream().noneMatch(o -> o.startsWith("--enable-native-access"))) {
            cmd.add("--enable-native-access=ALL-UNNAMED"); // what the jar's manifest says for 'java -jar'
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.tofu.stress.Main");
        cmd.add("server");
        cmd.add("--control");
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        control = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Process p = process;
        Thread.ofPlatform().daemon().name("server-jvm-out").start(() -> pump(p));
        String l = await(60);
        if (!l.equals("READY")) {
            throw new IOException("the server JVM said '" + l + "' instead of READY");
        }
    }

    private void pump(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                if (l.startsWith(TAG)) {
                    lines.add(l.substring(TAG.length()));
                } else {
                    System.err.println("[server jvm] " + l);
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
        lines.add("EOF");
    }

    private String await(long seconds) throws IOException {
        try {
            String l = lines.poll(seconds, TimeUnit.SECONDS);
            if (l == null) {
                throw new IOException("the server JVM did not answer within " + seconds + " s");
            }
            if (l.equals("EOF")) {
                lines.add("EOF");
                throw new IOException("the server JVM exited (code " + process.waitFor() + ")");
            }
            return l;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Sends one command and returns the answer's lines: the first line, plus as many more as
     * {@code extra} says the first announces. An answer starting with ERROR throws.
     */
    synchronized String ask(String command, long seconds) throws IOException {
        ensureStarted();
        control.write(command + "\n");
        control.flush();
        String l = await(seconds);
        if (l.startsWith("ERROR ")) {
            throw new IOException("server JVM: " + l.substring(6));
        }
        return l;
    }

    /** The next line of a multi-line answer. */
    synchronized String next(long seconds) throws IOException {
        return await(seconds);
    }

    /** The child's process CPU time so far, ns, or -1. */
    public long cpuNanos() {
        try {
            return Long.parseLong(ask("cpu", 30).split(" ")[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The child's heap after GC, bytes, or -1. */
    public long heapAfterGc() {
        try {
            return Long.parseLong(ask("heap", 60).split(" ")[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The server half of the system labelled {@code label}, run in this child. */
    public EchoServer server(String label) {
        return new RemoteServer(this, label);
    }

    /** Stops the child (closing whatever still runs there); returns its final word ("ok" or what leaked). */
    public synchronized String stop() {
        if (process == null) {
            return "ok";
        }
        String result;
        try {
            result = ask("stop", 60).substring("STOPPED ".length());
        } catch (IOException | RuntimeException e) {
            result = "server JVM: " + e.getMessage();
        }
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                result = result + "; server JVM did not exit";
            } else if (process.exitValue() != 0 && result.equals("ok")) {
                result = "server JVM exited with " + process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
        return result;
    }

    /** The proxy of one system's server half in the child. */
    private record RemoteServer(ServerJvm jvm, String label) implements EchoServer {
        @Override
        public String start() throws Exception {
            return jvm.ask("start " + label, 120).substring("STARTED ".length());
        }

        @Override
        public String prepare(int connections, int inFlight, int maxPayload) throws Exception {
            String e = jvm.ask("prepare " + label + " " + connections + " " + inFlight + " " + maxPayload, 120)
                    .substring("PREPARED ".length());
            return e.equals("-") ? null : e;
        }

        @Override
        public List<String> leaks(long waitMillis) {
            synchronized (jvm) {
                try {
                    String l = jvm.ask("leaks " + label + " " + waitMillis, waitMillis / 1000 + 60);
                    int n = Integer.parseInt(l.split(" ")[1]);
                    List<String> out = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        out.add("server JVM: " + jvm.next(10).substring("LEAK ".length()));
                    }
                    return out;
                } catch (IOException | RuntimeException e) {
                    return List.of("server JVM: " + e.getMessage());
                }
            }
        }

        @Override
        public String stats() {
            try {
                return jvm.ask("stats " + label, 30).substring("STATS ".length());
            } catch (IOException | RuntimeException e) {
                return "server JVM: " + e.getMessage();
            }
        }

        @Override
        public void close() {
            try {
                jvm.ask("close " + label, 60);
            } catch (IOException | RuntimeException e) {
                System.err.println("server JVM: closing " + label + ": " + e.getMessage());
            }
        }
    }
}
