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

import java.nio.file.Path;
import java.time.Duration;

/**
 * Who allocates during a loopback round trip: the same loop as {@link RoundTripBench} (client post
 * + server receive + server post + client receive, pooled messages, {@code INFINITE} waits), with
 * the JDK's per-thread allocated-bytes counters read before and after, grouped by thread. Virtual
 * threads (the channels' {@code tofu-ch-*} readers and writers and the echo server's loop) allocate
 * on their carriers, so they show up as {@code ForkJoinPool-*} carrier threads; run under JFR
 * ({@code jdk.ObjectAllocationSample}, or {@code -XX:-UseTLAB} with
 * {@code jdk.ObjectAllocationOutsideTLAB} for every allocation) to split them by virtual thread
 * and allocation site.
 *
 * <pre>
 * java -cp stress/target/tofu-stress.jar dev.tofu.stress.bench.RoundTripAllocation [TCP|UDS] [round trips] [directWrite]
 * </pre>
 *
 * <p>Per-site figures: {@link AllocationSites} runs this loop with {@code -XX:-UseTLAB} and a JFR
 * recording of {@code jdk.ObjectAllocationOutsideTLAB} with stack traces; without TLABs every
 * allocation is such an event, so summing {@code allocationSize} by thread, class and stack gives
 * exact bytes ({@code ./harness alloc-sites TCP}).
 *
 * <p>Threads: everything runs on the main thread except the engines' and the echo server's own.
 */
public final class RoundTripAllocation {
    private RoundTripAllocation() {
    }

    /**
     * Runs the loop and prints bytes per round trip by thread group.
     *
     * @param args transport (default TCP), measured round trips (default 200000), directWrite
     *             (default false)
     */
    public static void main(String[] args) {
        Transport transport = Transport.valueOf(args.length > 0 ? args[0] : "TCP");
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        boolean direct = args.length > 2 && Boolean.parseBoolean(args[2]);
        try (Loopback loop = new Loopback(transport, direct)) {
            long sink = 0;
            ThreadAllocation byThread = new ThreadAllocation(Thread.currentThread().getName());
            for (int round = 0; round < 3; round++) {
                byThread.start();
                long t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    sink += loop.roundTrip();
                }
                long t1 = System.nanoTime();
                System.out.printf("round %d (%s, directWrite=%s): %.1f us/op%n", round, transport, direct,
                        (t1 - t0) / 1e3 / count);
                for (var e : byThread.perOp(count).entrySet()) {
                    System.out.printf("  %-10s %8.1f B/op%n", e.getKey(), e.getValue());
                }
            }
            System.out.println("(sink " + sink + ")");
        }
    }

    /**
     * A client reactor connected to a {@link TofuEchoServer} in this JVM over one channel, with a
     * reused payload (64 bytes unless given): {@link #roundTrip} is one round trip of
     * {@link RoundTripBench}, which uses this set-up too.
     * Threads: opened, used and closed by one thread; the engines and the echo loop run their own.
     */
    static final class Loopback implements AutoCloseable {
        private final TofuEchoServer server;
        private final Reactor client;
        final Ampe ampe;
        final ChannelGroup group;
        final int channel;
        final byte[] payload;

        Loopback(Transport transport, boolean directWrite) {
            this(transport, directWrite, 64);
        }

        Loopback(Transport transport, boolean directWrite, int payloadSize) {
            payload = new byte[payloadSize];
            Options options = Options.of(64, 256).withDirectWrite(directWrite);
            server = new TofuEchoServer(options);
            Address a = server.listen(transport, transport == Transport.TCP
                    ? Address.tcpServer("127.0.0.1", 0) : Address.udsServer(Path.of("")));
            client = Reactor.create(options);
            ampe = client.ampe();
            group = ampe.create();
            Message hello = ampe.get(AllocationStrategy.ALWAYS);
            a.format(hello);
            channel = group.post(hello).channel();
            Message r = group.waitReceive(Duration.ofSeconds(10));
            if (r == null || r.opCode() != OpCode.HELLO_RESPONSE || r.status() != Status.SUCCESS) {
                close();
                throw new IllegalStateException("connect failed: " + r);
            }
            ampe.put(r);
        }

        /** One round trip; returns the echoed payload length. */
        int roundTrip() {
            return RoundTripAllocation.roundTrip(ampe, group, channel, payload);
        }

        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    /** One round trip, as {@link RoundTripBench#roundTrip}. */
    static int roundTrip(Ampe ampe, ChannelGroup group, int channel, byte[] payload) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        m.opCode(OpCode.REQUEST).channel(channel).messageId(1);
        m.body().append(payload);
        group.post(m);
        Message r = group.waitReceive(ChannelGroup.INFINITE);
        int n = r.body().length();
        ampe.put(r);
        return n;
    }
}
