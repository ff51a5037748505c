package dev.tofu.stress.load;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU accounting: per message, per core, unknown readings. */
class CpuTest {
    @Test
    void perMessageAndPercentOfACore() {
        assertEquals(25.0, Cpu.microsPerMessage(2_500_000_000.0, 100_000), 1e-9); // 2.5 s of CPU, 100k msgs
        assertEquals(0.5, Cpu.percentOfCore(50_000_000.0, 10), 1e-9);             // 50 ms in 10 s
        assertEquals(150.0, Cpu.percentOfCore(3e9, 2), 1e-9);                     // two processes, 1.5 cores
    }

    @Test
    void unknownReadingsGiveNaN() {
        assertTrue(Double.isNaN(Cpu.between(-1, 5)));
        assertTrue(Double.isNaN(Cpu.microsPerMessage(Double.NaN, 10)));
        assertTrue(Double.isNaN(Cpu.microsPerMessage(1e6, 0)));
        assertEquals(4.0, Cpu.between(1, 5));
    }

    @Test
    void thisJvmReportsCpuTime() {
        long a = Cpu.processNanos();
        long spin = 0;
        for (int i = 0; i < 5_000_000; i++) {
            spin += i ^ (spin >>> 3);
        }
        long b = Cpu.processNanos();
        assertTrue(a >= 0 && b >= a, "process CPU time " + a + " then " + b + " (" + spin + ")");
    }

    @Test
    void onLinuxTheProcessClockIsReadInNanoseconds() {
        org.junit.jupiter.api.Assumptions.assumeTrue("Linux".equals(System.getProperty("os.name")));
        assertTrue(Cpu.precise(), "clock_gettime through JNA");
        long a = Cpu.processNanos();
        long b = a;
        while (b == a) {
            b = Cpu.processNanos();
        }
        assertTrue(b - a < 5_000_000, "a step of " + (b - a) + " ns: not the 10 ms ticks of the JVM's figure");
    }
}
