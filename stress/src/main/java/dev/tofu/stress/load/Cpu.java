package dev.tofu.stress.load;

import java.lang.management.ManagementFactory;

/**
 * Process CPU time (user + system, every thread of the JVM, the dead ones included) and the two
 * figures the harness derives from it: nanoseconds per message and percent of one core. Pure
 * arithmetic besides {@link #processNanos()}.
 *
 * <p>On Linux the JVM's own figure ({@code OperatingSystemMXBean.getProcessCpuTime}) comes in
 * clock ticks, 10 ms steps here, too coarse for the idle workload; so on Linux the process clock
 * is read directly ({@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)} through JNA, nanoseconds),
 * and the JVM's figure is the fallback.
 */
public final class Cpu {
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2; // Linux
    private static final LibC LIBC = libc();

    private Cpu() {
    }

    /** The one C function used. */
    interface LibC extends com.sun.jna.Library {
        /** {@code int clock_gettime(clockid_t, struct timespec *)}; on LP64 the timespec is two longs. */
        int clock_gettime(int clock, long[] timespec);
    }

    private static LibC libc() {
        if (!"Linux".equals(System.getProperty("os.name")) || !System.getProperty("os.arch", "").matches("amd64|x86_64|aarch64")) {
            return null;
        }
        try {
            LibC c = com.sun.jna.Native.load("c", LibC.class);
            long[] ts = new long[2];
            return c.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, ts) == 0 && ts[0] >= 0 ? c : null;
        } catch (Throwable e) { // no JNA, no native library: the JVM's figure will do
            return null;
        }
    }

    /** Whether {@link #processNanos()} reads the process clock in nanoseconds (else the JVM's figure). */
    public static boolean precise() {
        return LIBC != null;
    }

    /** CPU time this JVM has used so far, ns (user + system), or -1 where it cannot be told. */
    public static long processNanos() {
        if (LIBC != null) {
            long[] ts = new long[2];
            if (LIBC.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, ts) == 0) {
                return ts[0] * 1_000_000_000L + ts[1];
            }
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long t = os.getProcessCpuTime();
            return t >= 0 ? t : -1;
        }
        return -1;
    }

    /** CPU used between two readings (either -1: unknown, NaN). */
    public static double between(long before, long after) {
        return before < 0 || after < 0 ? Double.NaN : after - before;
    }

    /** Microseconds of CPU per message (NaN when either is unknown or no message). */
    public static double microsPerMessage(double cpuNanos, long messages) {
        return Double.isNaN(cpuNanos) || messages <= 0 ? Double.NaN : cpuNanos / messages / 1000.0;
    }

    /** Percent of one core used over {@code seconds} (NaN when unknown). */
    public static double percentOfCore(double cpuNanos, double seconds) {
        return Double.isNaN(cpuNanos) || seconds <= 0 ? Double.NaN : cpuNanos / (seconds * 1e9) * 100.0;
    }
}
