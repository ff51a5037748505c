package dev.tofu.stress.bench;

import dev.tofu.stress.sys.Transport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * The raw-socket floor of {@link RoundTripBench}, with the same settings and selected by the same
 * command ({@code ./harness jmh RoundTripBench -prof gc} runs both classes): the same 64-byte
 * {@code [length:4][payload]} loopback round trip over plain blocking {@code SocketChannel}s, with
 * a virtual-thread echo server and reused direct buffers on both sides (see {@link RawEcho}).
 * Nothing here allocates in Java code of its own, so {@code gc.alloc.rate.norm} is what the JDK
 * itself allocates per virtual-thread socket round trip; the part of
 * {@link RoundTripBench#roundTrip}'s figure at or below it is not tofu's.
 *
 * <ul>
 *   <li>{@link #rawRoundTrip}: the benchmark (platform) thread is the client and does the socket IO
 *       itself; one virtual thread (the echo server) parks in a socket read per round trip.</li>
 *   <li>{@link #rawVirtualClient}: the benchmark thread hands each round trip to a client virtual
 *       thread and parks until it is done, the shape of tofu's application thread, writer and
 *       reader; two virtual threads park in socket reads per round trip, plus one hand-off wake-up.</li>
 * </ul>
 *
 * <pre>
 * ./harness jmh RoundTripBench -prof gc
 * ./harness jmh RawRoundTripBench -prof gc -p transport=TCP
 * ./harness jmh RawRoundTripBench -prof gc -jvmArgsAppend -Djdk.pollerMode=1
 * </pre>
 *
 * <p>Threads: JMH's benchmark thread calls every method; the echo and client loops run on their
 * own virtual threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class RawRoundTripBench {
    /** TCP on 127.0.0.1 or a Unix-domain socket. */
    @Param({"TCP", "UDS"})
    String transport;

    /** Payload bytes per frame (plus the 4-byte length). */
    @Param({"64"})
    int size;

    private RawEcho echo;

    /** Opens the socket pair and starts the echo server's virtual thread. */
    @Setup
    public void setup() {
        echo = RawEcho.open(Transport.valueOf(transport), size);
    }

    /**
     * Writes a frame and reads its echo on the benchmark thread.
     *
     * @return the echoed payload length
     */
    @Benchmark
    public int rawRoundTrip() {
        return echo.roundTrip();
    }

    /**
     * Has the client virtual thread write a frame and read its echo while the benchmark thread
     * waits.
     *
     * @return the echoed payload length
     */
    @Benchmark
    public int rawVirtualClient() {
        return echo.roundTripViaVirtualClient();
    }

    /** Closes the sockets and ends the virtual threads. */
    @TearDown
    public void tearDown() {
        echo.close();
    }
}
