package dev.tofu.stress.bench;

import dev.tofu.AllocationStrategy;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.MessagePool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The message pool (PROTOCOL.md §6.2): one get + put, by one thread, and by two threads at once on
 * the same pool (contention on its lock), plus the engine's take/recycle pair.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PoolBench {
    private MessagePool pool;

    @Setup
    public void setup() {
        pool = new MessagePool(256, 1024);
    }

    /** get(ALWAYS) then put, one thread. */
    @Benchmark
    public MessageStore getPut() {
        MessageStore m = pool.get(AllocationStrategy.ALWAYS);
        pool.put(m);
        return m;
    }

    /** get(ALWAYS) then put, two threads on one pool. */
    @Benchmark
    @Group("contended")
    @GroupThreads(2)
    public MessageStore getPutContended() {
        MessageStore m = pool.get(AllocationStrategy.ALWAYS);
        pool.put(m);
        return m;
    }

    /** The engine's reader path: tryTakeForEngine then recycle. */
    @Benchmark
    public MessageStore engineTakeRecycle() {
        MessageStore m = pool.tryTakeForEngine();
        pool.recycle(m);
        return m;
    }
}
