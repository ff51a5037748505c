package dev.tofu.stress.sys;

import dev.tofu.Address;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The tofu echo server in a second JVM: this harness's own jar run as {@code server --control},
 * talking a line protocol over the child's stdin/stdout (see {@code ServerCommand}). Used when one
 * process cannot hold both ends (10,000 channels need 20,000 descriptors against a limit of 20,000
 * per process), and it is how a user loads a server on another machine (there without the control
 * channel: {@link TofuServerHandle#remote}).
 */
public final class ForkedTofuServer implements TofuServerHandle {
    /** Prefix of every control line the child writes; other output passes through to stderr. */
    public static final String TAG = "TOFU-SERVER ";

    private final List<String> jvmOptions;
    private Process process;
    private Writer control;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Map<Transport, Address> addresses = new EnumMap<>(Transport.class);
    private int users;

    /** @param jvmOptions options of the child JVM (heap size, GC) */
    public ForkedTofuServer(List<String> jvmOptions) {
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    @Override
    public synchronized void start() throws Exception {
        users++;
        if (process != null) {
            return;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.tofu.stress.Main");
        cmd.add("server");
        cmd.add("--control");
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        control = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("forked-server-out").start(() -> pump(process));
        while (true) {
            String l = await(30);
            if (l.startsWith("LISTEN ")) {
                String[] p = l.split(" ", 3);
                addresses.put(Transport.valueOf(p[1]), Address.parse(p[2]));
            } else if (l.equals("READY")) {
                break;
            }
        }
    }

    private void pump(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                if (l.startsWith(TAG)) {
                    lines.add(l.substring(TAG.length()));
                } else {
                    System.err.println("[server] " + l);
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
        lines.add("EOF");
    }

    private String await(int seconds) throws IOException {
        try {
            String l = lines.poll(seconds, TimeUnit.SECONDS);
            if (l == null) {
                throw new IOException("the server JVM did not answer within " + seconds + " s");
            }
            if (l.equals("EOF")) {
                throw new IOException("the server JVM exited (code " + process.waitFor() + ")");
            }
            return l;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private synchronized String ask(String command, int seconds) throws IOException {
        control.write(command + "\n");
        control.flush();
        return await(seconds);
    }

    @Override
    public synchronized Address address(Transport transport) {
        return addresses.get(transport);
    }

    @Override
    public boolean inProcess() {
        return false;
    }

    @Override
    public synchronized List<String> leaks(long waitMillis) {
        try {
            String l = ask("leaks " + waitMillis, (int) (waitMillis / 1000) + 30);
            int n = Integer.parseInt(l.split(" ")[1]);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(await(10).substring("LEAK ".length()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of("server JVM: " + e.getMessage());
        }
    }

    @Override
    public synchronized long remoteHeapAfterGc() {
        try {
            return Long.parseLong(ask("heap", 60).split(" ")[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public synchronized String stats() {
        try {
            return ask("stats", 10).substring("STATS ".length());
        } catch (IOException | RuntimeException e) {
            return "server JVM: " + e.getMessage();
        }
    }

    /** Stops the child; returns its final word ("ok" or what leaked). */
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

    @Override
    public synchronized void close() {
        if (--users <= 0) {
            stop();
        }
    }
}
