package dev.tofu.stress.soak;

import dev.tofu.internal.engine.Engine;
import dev.tofu.stress.load.Runner;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the process holds at one moment: heap in use after full collections, live platform threads,
 * open file descriptors, live tofu engine threads (virtual, counted by the engine) and, where the
 * JDK can dump virtual threads, the names of the live {@code tofu-*} threads.
 *
 * @param heap            heap used after GC, bytes
 * @param platformThreads live platform threads (ThreadMXBean)
 * @param fds             open file descriptors (/proc/self/fd, else UnixOperatingSystemMXBean; -1 unknown)
 * @param engineThreads   live tofu channel threads in this process ({@code Engine.liveThreads()})
 * @param tofuThreads     names of live threads starting with "tofu-" from a thread dump, or null if unavailable
 */
record Resources(long heap, int platformThreads, long fds, int engineThreads, List<String> tofuThreads) {
    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"(tofu-[^\"]*)\"");

    /** Takes a snapshot; {@code fullGc}: three full collections first (about 300 ms), else one. */
    static Resources take(boolean fullGc) {
        long heap;
        if (fullGc) {
            heap = Runner.heapAfterGc();
        } else {
            System.gc();
            heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
        return new Resources(heap, ManagementFactory.getThreadMXBean().getThreadCount(), openFds(), Engine.liveThreads(),
                dumpTofuThreads());
    }

    static long openFds() {
        Path fd = Path.of("/proc/self/fd");
        if (Files.isDirectory(fd)) {
            try (Stream<Path> s = Files.list(fd)) {
                return s.count() - 1; // less the directory this listing holds open
            } catch (IOException | RuntimeException ignored) {
                // fall back
            }
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean u) {
            return u.getOpenFileDescriptorCount();
        }
        return -1;
    }

    /**
     * Heap bytes of one fresh, empty message (object, header and body holders), measured once: the
     * heap after GC with 8192 of them alive, less the heap without, divided by 8192.
     */
    static long messageShellBytes() {
        int n = 8192;
        long h0 = Runner.heapAfterGc();
        dev.tofu.internal.message.MessageAccess access = dev.tofu.internal.message.MessageAccess.get();
        dev.tofu.Message[] shells = new dev.tofu.Message[n];
        long capacities = 0;
        for (int i = 0; i < n; i++) {
            // a message that has carried a body and a header, as pooled ones have: its buffers and
            // the cached write view exist; their capacity is counted separately below
            dev.tofu.Message m = new dev.tofu.Message();
            m.body().append(new byte[] {1});
            m.headers().append("h", "v");
            access.store(m).body().contentView();
            access.store(m).headers().contentView();
            m.body().clear();
            m.headers().clear();
            capacities += access.store(m).body().capacity() + access.store(m).headers().capacity();
            shells[i] = m;
        }
        long h1 = Runner.heapAfterGc();
        java.lang.ref.Reference.reachabilityFence(shells);
        return Math.max(0, (h1 - h0 - capacities) / n);
    }

    /**
     * Heap bytes the idle messages in {@code server}'s pool hold: {@code shellBytes} each plus the
     * capacity of their body and header buffers (a pooled message keeps the capacity the largest
     * body and headers it carried needed). Takes every idle message out and puts it back, so call it
     * only while the server is idle (no client connected).
     */
    static long idlePoolBytes(dev.tofu.stress.sys.TofuEchoServer server, long shellBytes) {
        dev.tofu.Ampe ampe = server.engine();
        dev.tofu.internal.message.MessageAccess access = dev.tofu.internal.message.MessageAccess.get();
        List<dev.tofu.Message> taken = new ArrayList<>();
        long bytes = 0;
        dev.tofu.Message m;
        while ((m = ampe.get(dev.tofu.AllocationStrategy.POOL_ONLY)) != null) {
            taken.add(m);
            bytes += shellBytes + access.store(m).body().capacity() + access.store(m).headers().capacity();
        }
        taken.forEach(ampe::put);
        return bytes;
    }

    /** Live "tofu-*" thread names from a JSON thread dump (which lists virtual threads), or null. */
    static List<String> dumpTofuThreads() {
        Path file = null;
        try {
            file = Files.createTempFile("tofu-soak-threads", ".json");
            Files.delete(file); // dumpThreads refuses an existing file
            ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            String json = Files.readString(file);
            List<String> out = new ArrayList<>();
            Matcher m = NAME.matcher(json);
            while (m.find()) {
                out.add(m.group(1));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return null;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
    }
}
