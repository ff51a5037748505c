package dev.tofu.stress.bench;

import dev.tofu.AllocationStrategy;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.stress.sys.Transport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One loopback round trip through two tofu engines in this JVM: the benchmark thread posts a 64-byte
 * Request on a client channel, the echo server (its own reactor, one virtual thread) answers with a
 * Response, the benchmark thread receives it and puts it back. Nothing here allocates on the
 * application side (pooled messages, a reused payload, {@code INFINITE} waits, the returned
 * header ignored), which {@link #appSideOnly} checks: it does the application's part alone and
 * must show 0 B/op. So {@code -prof gc}'s {@code gc.alloc.rate.norm} for {@link #roundTrip} is the
 * steady-state allocation per round trip of both engines and of the JDK machinery they use (every
 * thread: carriers of the virtual threads and the JDK's poller threads included).
 *
 * <pre>
 * ./harness jmh RoundTripBench -prof gc
 * ./harness jmh RoundTripBench.roundTrip -prof gc -p directWrite=true -p transport=TCP
 * ./harness jmh RoundTripBench.roundTrip -prof gc -jvmArgsAppend -Dbench.byThread=true
 * </pre>
 *
 * <p>With {@code -Dbench.byThread=true} each iteration also prints its allocation by thread group
 * (benchmark thread, carriers of virtual threads, JDK pollers), see {@link ThreadAllocation}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class RoundTripBench {
    @Param({"TCP", "UDS"})
    String transport;

    @Param({"64"})
    int size;

    /** {@code Options.withDirectWrite}: the posting thread writes when the writer is idle. */
    @Param({"false"})
    boolean directWrite;

    private RoundTripAllocation.Loopback loop;
    private long ops;
    private ThreadAllocation byThread;

    @Setup
    public void setup() {
        loop = new RoundTripAllocation.Loopback(Transport.valueOf(transport), directWrite, size);
    }

    /** Starts the per-thread counters when {@code -Dbench.byThread=true}. */
    @Setup(Level.Iteration)
    public void startIteration() {
        if (Boolean.getBoolean("bench.byThread")) {
            byThread = new ThreadAllocation(Thread.currentThread().getName());
            ops = 0;
            byThread.start();
        }
    }

    /** Prints the iteration's allocation by thread group when {@code -Dbench.byThread=true}. */
    @TearDown(Level.Iteration)
    public void endIteration() {
        if (byThread != null && ops > 0) {
            System.out.println(byThread.line(ops));
        }
        byThread = null;
    }

    /** Post a Request, receive its Response, return it to the pool. */
    @Benchmark
    public int roundTrip() {
        int n = loop.roundTrip();
        ops++;
        return n;
    }

    /**
     * The application's part of {@link #roundTrip} alone (get, fill, put; no engine traffic): its
     * {@code gc.alloc.rate.norm} is what the benchmark itself allocates: the lease, one 16-byte {@code Message}
     * handle per {@code get} (the {@code Body} views are scalar-replaced), and nothing else.
     */
    @Benchmark
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 1)
    public int appSideOnly() {
        Message m = loop.ampe.get(AllocationStrategy.ALWAYS);
        m.opCode(OpCode.REQUEST).channel(loop.channel).messageId(1);
        m.body().append(loop.payload);
        int n = m.body().length();
        loop.ampe.put(m);
        ops++;
        return n;
    }

    @TearDown
    public void tearDown() {
        loop.close();
    }
}
