package dev.tofu.stress.bench;

import dev.tofu.stress.sys.Transport;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntSupplier;

/**
 * Exact bytes per loopback round trip by allocation site, from JFR: runs the round trip of
 * {@link RoundTripBench} (or of its raw-socket floor, {@link RawRoundTripBench}) in a JVM with
 * {@code -XX:-UseTLAB}, where every allocation is a {@code jdk.ObjectAllocationOutsideTLAB} event,
 * records those events with stack traces over a measured window after a warm-up, and sums
 * {@code allocationSize} per site. It relaunches itself with the JVM flags it needs when they are
 * missing, so one command does it all:
 *
 * <pre>
 * ./harness alloc-sites                       tofu over TCP, 50000 measured round trips
 * ./harness alloc-sites --transport UDS --system raw
 * ./harness alloc-sites --jvm -Djdk.pollerMode=1 --top 40
 * java -cp stress/target/tofu-stress.jar dev.tofu.stress.bench.AllocationSites --help
 * </pre>
 *
 * <p>Every allocation falls in one group: (a) {@code tofu}: the allocating frame is tofu's own code
 * ({@code dev.tofu.*} outside {@code dev.tofu.stress}); (b) {@code jdk-via-tofu}: JDK code whose stack
 * holds a tofu frame (the JDK allocates because of a call the engine made, e.g. a socket read that
 * parks; the nearest tofu frame is shown as "via"); (c) {@code jdk-only}: no {@code dev.tofu} frame
 * at all (the JDK's poller and scheduler threads, carriers between virtual threads); and
 * {@code app}: the benchmark and echo-server code of this module ({@code dev.tofu.stress.*}) or
 * JDK code it calls without going through tofu. JFR's own threads are listed apart and left out
 * of the total. Note that {@code -XX:-UseTLAB} changes no allocation, only makes each one visible;
 * the figures still depend on the JIT (escape analysis), hence the warm-up.
 *
 * <p>Threads: everything on the main thread, apart from the engines', the echo server's and JFR's.
 */
public final class AllocationSites {
    private static final String USAGE = """
            alloc-sites [--system tofu|raw|raw-vt] [--transport TCP|UDS] [--round-trips N] [--warmup N]
                        [--direct-write] [--top N] [--jvm JVM-ARG]... [--keep FILE.jfr]
              --system       tofu: RoundTripBench.roundTrip (default); raw: RawRoundTripBench.rawRoundTrip;
                             raw-vt: RawRoundTripBench.rawVirtualClient
              --round-trips  measured round trips (default 50000); --warmup: before them (default 100000)
              --top          sites listed (default 30); --jvm: extra flag for the measuring JVM, e.g.
                             -Djdk.pollerMode=1; --keep: keep the JFR recording in FILE.jfr""";

    private AllocationSites() {
    }

    /**
     * Measures and prints bytes per round trip by group and by site.
     *
     * @param args see {@code --help}
     * @throws Exception when the run fails
     */
    public static void main(String[] args) throws Exception {
        String system = "tofu";
        Transport transport = Transport.TCP;
        int count = 50_000;
        int warmup = 100_000;
        int top = 30;
        boolean directWrite = false;
        Path keep = null;
        List<String> jvm = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--system" -> system = args[++i];
                case "--transport" -> transport = Transport.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--round-trips" -> count = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--top" -> top = Integer.parseInt(args[++i]);
                case "--direct-write" -> directWrite = true;
                case "--keep" -> keep = Path.of(args[++i]);
                case "--jvm" -> jvm.add(args[++i]);
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println("unknown argument " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        if (!ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:-UseTLAB")) {
            System.exit(relaunch(jvm, args));
        }
        if (!List.of("tofu", "raw", "raw-vt").contains(system)) {
            throw new IllegalArgumentException("--system must be tofu, raw or raw-vt, not " + system);
        }
        String label = system + " " + transport + (directWrite ? " directWrite" : "");
        if (system.equals("tofu")) {
            try (RoundTripAllocation.Loopback loop = new RoundTripAllocation.Loopback(transport, directWrite)) {
                measure(label, loop::roundTrip, warmup, count, top, keep);
            }
        } else {
            try (RawEcho raw = RawEcho.open(transport, 64)) {
                measure(label, system.equals("raw") ? raw::roundTrip : raw::roundTripViaVirtualClient,
                        warmup, count, top, keep);
            }
        }
    }

    /** Runs this class again in a JVM with TLABs off and deep JFR stacks; returns its exit code. */
    private static int relaunch(List<String> jvm, String[] args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:-UseTLAB");
        cmd.add("-XX:FlightRecorderOptions:stackdepth=256");
        cmd.add("-Xmx1g");
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(AllocationSites.class.getName());
        cmd.addAll(List.of(args));
        System.out.println("alloc-sites: " + String.join(" ", cmd));
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    private static void measure(String label, IntSupplier op, int warmup, int count, int top, Path keep)
            throws IOException {
        long sink = 0;
        for (int i = 0; i < warmup; i++) {
            sink += op.getAsInt();
        }
        try (Recording init = new Recording()) { // JFR's first start loads and allocates a lot: not in the window
            init.enable("jdk.ObjectAllocationOutsideTLAB");
            init.start();
            for (int i = 0; i < 1000; i++) {
                sink += op.getAsInt();
            }
            init.stop();
        }
        Path file = keep != null ? keep : Files.createTempFile("alloc-sites-", ".jfr");
        ThreadAllocation byThread = new ThreadAllocation(Thread.currentThread().getName());
        byThread.start(); // the counters' first use loads classes: not in the window
        byThread.perOp(1);
        Instant from;
        Instant to;
        long t0;
        long t1;
        try (Recording rec = new Recording()) {
            rec.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
            rec.setToDisk(true);
            rec.start();
            byThread.start();
            from = Instant.now();
            t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                sink += op.getAsInt();
            }
            t1 = System.nanoTime();
            to = Instant.now();
            Map<String, Double> counters = byThread.perOp(count); // outside the JFR window, inside its own
            rec.stop();
            rec.dump(file);
            System.out.printf("%s: %d round trips, %.1f us/op without TLABs (sink %d)%n", label, count,
                    (t1 - t0) / 1e3 / count, sink);
            System.out.print("thread counters, B/op:");
            counters.forEach((k, v) -> System.out.printf(" %s %.1f;", k, v));
            System.out.println();
        }
        Tally tally = new Tally();
        try (RecordingFile f = new RecordingFile(file)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                if (e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) {
                    continue;
                }
                tally.add(e);
            }
        }
        if (keep == null) {
            Files.deleteIfExists(file);
        }
        tally.print(count, top);
    }

    /** One allocation site: group, thread, allocated class, allocating frame, nearest tofu frame. */
    private record Site(String group, String thread, String type, String frame, String via) {
    }

    /** Bytes and objects per site and per group. */
    private static final class Tally {
        private final Map<Site, long[]> sites = new HashMap<>();
        private final Map<String, long[]> groups = new TreeMap<>();
        private long truncated;

        void add(RecordedEvent e) {
            long bytes = e.getLong("allocationSize");
            RecordedThread t = e.getThread();
            String thread = t == null ? "?" : threadName(t);
            RecordedStackTrace st = e.getStackTrace();
            List<RecordedFrame> frames = st == null ? List.of() : st.getFrames();
            if (st != null && st.isTruncated()) {
                truncated++;
            }
            String type = e.getClass("objectClass") == null ? "?" : e.getClass("objectClass").getName();
            String frame = frames.isEmpty() ? "?" : frame(frames.get(0));
            String topType = frames.isEmpty() ? "" : frames.get(0).getMethod().getType().getName();
            RecordedFrame lib = null;
            RecordedFrame app = null;
            boolean jfr = thread.startsWith("JFR ");
            for (RecordedFrame f : frames) {
                String n = f.getMethod().getType().getName();
                jfr |= n.startsWith("jdk.jfr.");
                if (lib == null && isLibrary(n)) {
                    lib = f;
                }
                if (app == null && n.startsWith("dev.tofu.stress.")) {
                    app = f;
                }
            }
            String group;
            String via = "";
            if (jfr) {
                group = "jfr (left out)";
            } else if (isLibrary(topType)) {
                group = "a tofu";
            } else if (topType.startsWith("dev.tofu.stress.")) {
                group = "app";
            } else if (lib != null) {
                group = "b jdk-via-tofu";
                via = frame(lib);
            } else if (app != null) {
                group = "app";
                via = frame(app);
            } else {
                group = "c jdk-only";
            }
            long[] s = sites.computeIfAbsent(new Site(group, thread, type, frame, via), k -> new long[2]);
            s[0] += bytes;
            s[1]++;
            long[] g = groups.computeIfAbsent(group, k -> new long[2]);
            g[0] += bytes;
            g[1]++;
        }

        void print(long ops, int top) {
            double total = 0;
            System.out.println("by group (B/op, objects/op):");
            for (var e : groups.entrySet()) {
                System.out.printf("  %-16s %8.1f %7.3f%n", e.getKey(), (double) e.getValue()[0] / ops,
                        (double) e.getValue()[1] / ops);
                if (!e.getKey().startsWith("jfr")) {
                    total += (double) e.getValue()[0] / ops;
                }
            }
            System.out.printf("  %-16s %8.1f%n", "total", total);
            if (truncated > 0) {
                System.out.println("  (" + truncated + " stack traces truncated: raise stackdepth)");
            }
            System.out.printf("top %d sites (B/op, objects/op, group, thread, class, allocating frame, via):%n", top);
            sites.entrySet().stream()
                    .sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                    .limit(top)
                    .forEach(e -> {
                        Site s = e.getKey();
                        System.out.printf("  %7.2f %6.3f  %-14s %-22s %-36s %s%s%n",
                                (double) e.getValue()[0] / ops, (double) e.getValue()[1] / ops, s.group(),
                                s.thread(), s.type(), s.frame(), s.via().isEmpty() ? "" : "  via " + s.via());
                    });
        }

        private static boolean isLibrary(String type) {
            return type.startsWith("dev.tofu.") && !type.startsWith("dev.tofu.stress.");
        }

        private static String frame(RecordedFrame f) {
            String t = f.getMethod().getType().getName();
            return t.substring(t.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + ":" + f.getLineNumber();
        }

        /** The thread's name with numbers folded, so the same role counts once. */
        private static String threadName(RecordedThread t) {
            String n = t.getJavaName();
            if (n == null || n.isEmpty()) {
                n = t.isVirtual() ? "(virtual)" : "(unnamed)";
            } else if (t.isVirtual()) {
                n = "vt:" + n;
            }
            return n.replaceAll("[0-9]+", "#");
        }
    }
}
