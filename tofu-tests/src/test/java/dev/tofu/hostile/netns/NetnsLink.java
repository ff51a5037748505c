package dev.tofu.hostile.netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two network namespaces ({@code NAME-a}, {@code NAME-b}) joined by a veth pair, made and removed by
 * {@code src/test/netns/linkcut.sh}, plus the child JVMs started inside them. {@link #close} (and,
 * if the test JVM is stopped, a shutdown hook) kills the children and deletes both namespaces,
 * which deletes the veth pair. If the test JVM is killed outright, its children exit when their
 * standard input closes, and the script's detached guard (started by {@code up} with this JVM's
 * pid) deletes the namespaces; {@link #sweepStale} deletes any that still remain (their names
 * carry the pid of the test JVM that made them).
 *
 * <p>Threads: the test thread calls everything; each {@link Child} has one virtual thread that
 * reads its output; the shutdown hook may run {@link #close} concurrently with the test thread,
 * which is harmless (killing a process and deleting a namespace are idempotent).
 */
final class NetnsLink implements AutoCloseable {
    /** Prefix of every namespace this test creates; followed by the test JVM's pid. */
    static final String PREFIX = "tofu-lc-";
    /** The server's address, on namespace A's end of the link. */
    static final String ADDR_A = "10.211.0.1";
    private static final Path SCRIPT = Path.of(System.getProperty("user.dir"), "src", "test", "netns", "linkcut.sh");
    private static final AtomicInteger SERIAL = new AtomicInteger();

    final String name;
    final String nsA;
    final String nsB;
    private final List<Child> children = new CopyOnWriteArrayList<>();
    private final Thread hook;

    private NetnsLink(String name) {
        this.name = name;
        this.nsA = name + "-a";
        this.nsB = name + "-b";
        this.hook = new Thread(this::cleanUp, "netns-cleanup-" + name);
    }

    /** Why the test cannot run here ({@code null} if it can): root and a working {@code ip netns}. */
    static String unavailable() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "not Linux";
        }
        if (!Files.isRegularFile(SCRIPT)) {
            return "script not found: " + SCRIPT;
        }
        try {
            Result r = script(Duration.ofSeconds(20), "check");
            return r.code == 0 ? null : "`linkcut.sh check` failed (root and iproute2's `ip netns` needed): " + r.output.strip();
        } catch (IOException e) {
            return "cannot run bash: " + e.getMessage();
        }
    }

    /** Deletes namespaces left by test JVMs that no longer run. */
    static void sweepStale() throws IOException {
        Result r = script(Duration.ofSeconds(30), "sweep", PREFIX);
        if (r.code != 0) {
            fail("linkcut.sh sweep failed: " + r.output);
        }
        if (!r.output.isBlank()) {
            System.out.print("LinkCutTest: " + r.output); // "sweeping stale namespace …" lines
        }
    }

    /** Creates a fresh pair of namespaces and the link; registers the shutdown hook first. */
    static NetnsLink up() throws IOException {
        NetnsLink link = new NetnsLink(PREFIX + ProcessHandle.current().pid() + "-" + SERIAL.incrementAndGet());
        Runtime.getRuntime().addShutdownHook(link.hook);
        try {
            link.run("up", link.name, String.valueOf(ProcessHandle.current().pid()));
        } catch (IOException | RuntimeException | Error e) {
            link.close();
            throw e;
        }
        return link;
    }

    /** Sets namespace A's end of the link down: from now on every packet between A and B is lost. */
    void cut() throws IOException {
        run("cut", name);
    }

    /** Sets it up again. */
    void restore() throws IOException {
        run("restore", name);
    }

    /** Whether no TCP connection in either namespace has data waiting for an acknowledgement. */
    boolean settled() throws IOException {
        return script(Duration.ofSeconds(30), "settled", name).code == 0;
    }

    /** Starts {@code main} with {@code args} in a child JVM inside namespace {@code ns}. */
    Child start(String ns, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Child c = new Child(main.getSimpleName() + "@" + ns, new ProcessBuilder(cmd).redirectErrorStream(true).start());
        children.add(c);
        return c;
    }

    /** Kills the children, deletes the namespaces; idempotent. */
    @Override
    public void close() throws IOException {
        cleanUp();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // the JVM is shutting down: the hook is running or has run
        }
    }

    private void cleanUp() {
        for (Child c : children) {
            c.process.destroyForcibly(); // `ip netns exec` execs java: this is the JVM itself
        }
        for (Child c : children) {
            try {
                c.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Result r = script(Duration.ofSeconds(30), "down", name);
            if (r.code != 0) {
                System.err.println("LinkCutTest: linkcut.sh down " + name + " failed: " + r.output);
            }
        } catch (IOException e) {
            System.err.println("LinkCutTest: linkcut.sh down " + name + " failed: " + e);
        }
    }

    private void run(String... args) throws IOException {
        Result r = script(Duration.ofSeconds(30), args);
        if (r.code != 0) {
            fail("linkcut.sh " + String.join(" ", args) + " failed (" + r.code + "): " + r.output);
        }
    }

    private record Result(int code, String output) {
    }

    private static Result script(Duration timeout, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + out);
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }

    /** One output line of a child, with the time (System.nanoTime) the test read it. */
    record Line(long at, String text) {
        /** The value of {@code key=value} in this line; fails the test if absent. */
        String value(String key) {
            for (String part : text.split(" ")) {
                if (part.startsWith(key + "=")) {
                    return part.substring(key.length() + 1);
                }
            }
            return fail("no " + key + "= in: " + text);
        }

        long number(String key) {
            return Long.parseLong(value(key));
        }

        /** The n-th space-separated word (0 = the keyword). */
        String word(int n) {
            String[] w = text.split(" ");
            return n < w.length ? w[n] : "";
        }
    }

    /** A child JVM: its output lines as they arrive, and its standard input for commands. */
    static final class Child {
        final String label;
        final Process process;
        private final List<Line> lines = new CopyOnWriteArrayList<>();

        Child(String label, Process process) {
            this.label = label;
            this.process = process;
            Thread.ofVirtual().name("out-" + label).start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String s; (s = r.readLine()) != null; ) {
                        lines.add(new Line(System.nanoTime(), s));
                    }
                } catch (IOException ignored) {
                    // the process was killed
                }
            });
        }

        /** Waits for the first line starting with {@code keyword} that matches {@code match}. */
        Line await(String keyword, Predicate<Line> match, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (Line l : lines) {
                    if (l.text.startsWith(keyword + " ") || l.text.equals(keyword)) {
                        if (match.test(l)) {
                            return l;
                        }
                    }
                    if (l.text.startsWith("ERROR")) {
                        fail(label + " failed: " + output());
                    }
                }
                if (System.nanoTime() > deadline) {
                    return fail(label + ": no " + keyword + " line within " + timeout + "; alive=" + process.isAlive()
                            + "; output:\n" + output());
                }
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            }
        }

        Line await(String keyword, Duration timeout) {
            return await(keyword, l -> true, timeout);
        }

        /** The highest number among the {@code keyword <number>} lines so far; 0 if none. */
        long highest(String keyword) {
            long max = 0;
            for (Line l : lines) {
                if (l.text.startsWith(keyword + " ")) {
                    max = Math.max(max, Long.parseLong(l.word(1)));
                }
            }
            return max;
        }

        /** Sends one command line. */
        void send(String command) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** Waits for the process to end; returns its exit code, fails the test on timeout. */
        int awaitExit(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail(label + " did not exit within " + timeout + "; output:\n" + output());
            }
            return process.exitValue();
        }

        /** Everything the child printed so far (the tail, if long). */
        String output() {
            List<Line> all = new ArrayList<>(lines);
            List<Line> tail = all.size() <= 40 ? all : all.subList(all.size() - 40, all.size());
            StringBuilder b = new StringBuilder();
            for (Line l : tail) {
                b.append(l.text).append('\n');
            }
            return b.toString();
        }
    }
}
