package dev.tofu.stress.load;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;

/**
 * What one measurement (or several merged rounds of it) found.
 *
 * @param system           system label ("tofu/tcp")
 * @param spec             the load shape
 * @param sent             messages sent
 * @param echoed           messages that came back intact
 * @param returned         messages the library returned unsent with a status
 * @param lost             messages that never came back
 * @param duplicated       replies for no message in flight
 * @param corrupted        replies whose length, checksum, id or flag differed
 * @param connectionErrors connections that failed (connect or mid-run)
 * @param connects         connections opened
 * @param measuredMsgs     messages echoed while measuring
 * @param measuredBytes    payload bytes echoed while measuring
 * @param seconds          measured time
 * @param latency          round-trip latency while measuring, ns (stream: whole message)
 * @param heapPerChannel   fanin: heap after GC per open channel in this JVM, bytes (NaN otherwise)
 * @param serverHeapPerChannel fanin with a forked server: the server JVM's, bytes (NaN otherwise)
 * @param allocPerMsg      bytes allocated by the whole JVM per echoed message while measuring
 * @param cpuNanos         CPU time (user + system) while measuring, ns, of this JVM plus the server
 *                         JVM when the server runs there; NaN when unknown
 * @param leaks            what leaked
 * @param problems         what went wrong, word for word
 */
public record Result(String system, LoadSpec spec, long sent, long echoed, long returned, long lost,
                     long duplicated, long corrupted, long connectionErrors, long connects, long measuredMsgs,
                     long measuredBytes, double seconds, Histogram latency, double heapPerChannel,
                     double serverHeapPerChannel, double allocPerMsg, double cpuNanos, List<String> leaks, List<String> problems) {

    /** Messages neither echoed, corrupted, returned nor counted lost: must be 0. */
    public long unaccounted() {
        return sent - echoed - corrupted - returned - lost;
    }

    /** Whether every message is accounted for and nothing leaked or failed. */
    public boolean ok() {
        return lost == 0 && duplicated == 0 && corrupted == 0 && connectionErrors == 0 && unaccounted() == 0
                && leaks.isEmpty() && problems.isEmpty();
    }

    /** Messages per second while measuring. */
    public double rate() {
        return seconds > 0 ? measuredMsgs / seconds : 0;
    }

    /** Payload megabytes (10^6) per second while measuring, one direction. */
    public double megabytesPerSecond() {
        return seconds > 0 ? measuredBytes / seconds / 1e6 : 0;
    }

    /** CPU per echoed message while measuring, µs, both processes (NaN when unknown). */
    public double cpuMicrosPerMsg() {
        return Cpu.microsPerMessage(cpuNanos, measuredMsgs);
    }

    /** CPU while measuring in percent of one core, both processes (NaN when unknown). */
    public double cpuPercentOfCore() {
        return Cpu.percentOfCore(cpuNanos, seconds);
    }

    /** A latency percentile in microseconds (NaN when nothing was recorded). */
    public double micros(double percentile) {
        if (latency.getTotalCount() == 0) {
            return Double.NaN;
        }
        return (percentile >= 100 ? latency.getMaxValue() : latency.getValueAtPercentile(percentile)) / 1000.0;
    }

    /** Merges rounds of the same system and shape. */
    public static Result merge(List<Result> rounds) {
        Result f = rounds.get(0);
        Histogram h = new Histogram(3);
        long sent = 0, echoed = 0, returned = 0, lost = 0, dup = 0, cor = 0, err = 0, con = 0, mm = 0, mb = 0;
        double sec = 0, heap = 0, sheap = 0, alloc = 0, cpu = 0;
        int heapN = 0, sheapN = 0, allocN = 0;
        List<String> leaks = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Result r : rounds) {
            h.add(r.latency);
            sent += r.sent;
            echoed += r.echoed;
            returned += r.returned;
            lost += r.lost;
            dup += r.duplicated;
            cor += r.corrupted;
            err += r.connectionErrors;
            con += r.connects;
            mm += r.measuredMsgs;
            mb += r.measuredBytes;
            sec += r.seconds;
            if (!Double.isNaN(r.heapPerChannel)) {
                heap += r.heapPerChannel;
                heapN++;
            }
            if (!Double.isNaN(r.serverHeapPerChannel)) {
                sheap += r.serverHeapPerChannel;
                sheapN++;
            }
            if (!Double.isNaN(r.allocPerMsg)) {
                alloc += r.allocPerMsg * r.measuredMsgs;
                allocN += (int) Math.min(Integer.MAX_VALUE, r.measuredMsgs);
            }
            cpu += r.cpuNanos; // NaN in any round: NaN
            leaks.addAll(r.leaks);
            problems.addAll(r.problems);
        }
        return new Result(f.system, f.spec, sent, echoed, returned, lost, dup, cor, err, con, mm, mb, sec, h,
                heapN == 0 ? Double.NaN : heap / heapN, sheapN == 0 ? Double.NaN : sheap / sheapN,
                allocN == 0 ? Double.NaN : alloc / allocN, cpu, leaks, problems);
    }
}
