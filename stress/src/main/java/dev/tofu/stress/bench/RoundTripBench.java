package dev.tofu.stress.bench;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.stress.sys.TofuEchoServer;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One loopback round trip through two tofu engines in this JVM: the benchmark thread posts a 64-byte
 * Request on a client channel, the echo server (its own reactor, one virtual thread) answers with a
 * Response, the benchmark thread receives it and puts it back. Nothing here allocates on the
 * application side (pooled messages, a reused payload, a constant timeout), so
 * {@code -prof gc}'s {@code gc.alloc.rate.norm} is the engines' allocation per round trip (both
 * sides, every thread, carriers of the virtual threads included).
 *
 * <pre>./harness jmh RoundTripBench -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class RoundTripBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Param({"TCP", "UDS"})
    String transport;

    @Param({"64"})
    int size;

    private TofuEchoServer server;
    private Reactor client;
    private Ampe ampe;
    private ChannelGroup group;
    private int channel;
    private byte[] payload;

    @Setup
    public void setup() {
        server = new TofuEchoServer(Options.of(64, 256));
        Transport t = Transport.valueOf(transport);
        Address a = server.listen(t, t == Transport.TCP ? Address.tcpServer("127.0.0.1", 0) : Address.udsServer(Path.of("")));
        client = Reactor.create(Options.of(64, 256));
        ampe = client.ampe();
        group = ampe.create();
        Message hello = ampe.get(AllocationStrategy.ALWAYS);
        a.format(hello);
        channel = group.post(hello).channel();
        Message r = group.waitReceive(TIMEOUT);
        if (r == null || r.opCode() != OpCode.HELLO_RESPONSE || r.status() != Status.SUCCESS) {
            throw new IllegalStateException("connect failed: " + r);
        }
        ampe.put(r);
        payload = new byte[size];
    }

    /** Post a Request, receive its Response, return it to the pool. */
    @Benchmark
    public int roundTrip() {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        m.opCode(OpCode.REQUEST).channel(channel).messageId(1);
        m.body().append(payload);
        group.post(m);
        Message r = group.waitReceive(TIMEOUT);
        int n = r.body().length();
        ampe.put(r);
        return n;
    }

    @TearDown
    public void tearDown() {
        client.close();
        server.close();
    }
}
