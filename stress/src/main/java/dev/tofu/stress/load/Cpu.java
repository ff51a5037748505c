package dev.tofu.stress.load;

import java.lang.management.ManagementFactory;

/**
 * Process CPU time (user + system, every thread of the JVM) and the two figures the harness derives
 * from it: nanoseconds per message and percent of one core. Pure arithmetic besides
 * {@link #processNanos()}.
 */
public final class Cpu {
    private Cpu() {
    }

    /** CPU time this JVM has used so far, ns (user + system), or -1 where the JVM cannot tell. */
    public static long processNanos() {
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
