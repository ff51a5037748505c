package dev.tofu.security;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.testing.SelfSignedCert;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A quick TLS-versus-plain comparison (not a test; no JMH): ping-pong (one 64-byte request in
 * flight) and pipeline (64 in flight, 64-byte and 16 KiB bodies) over loopback TCP, plain and TLS
 * rounds interleaved so machine noise hits both alike. Prints every round and the median ratio.
 *
 * <p>Run: {@code java -cp <test classpath> dev.tofu.security.TlsBench [rounds] [seconds per case]}.
 */
public final class TlsBench {
    private TlsBench() {
    }

    /** Runs the comparison. */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        Path dir = Files.createTempDirectory("tofu-tls-bench");
        SelfSignedCert cert = SelfSignedCert.generate(dir, "localhost", "dns:localhost,ip:127.0.0.1");
        Options plain = Options.of(1024, 4096);
        Options tlsServer = plain.withTls(cert.context());
        Options tlsClient = plain.withTls(SelfSignedCert.trusting(cert));
        String[] cases = {"pingpong 64 B (µs/rt)", "pipeline 64 B x64 (msg/s)", "pipeline 16 KiB x64 (MB/s)"};
        List<List<double[]>> results = new ArrayList<>(); // per case: {plain, tls} per round
        for (int c = 0; c < cases.length; c++) {
            results.add(new ArrayList<>());
        }
        for (int round = 1; round <= rounds; round++) {
            for (int c = 0; c < cases.length; c++) {
                double p = run(c, plain, plain, seconds);
                double t = run(c, tlsServer, tlsClient, seconds);
                results.get(c).add(new double[] {p, t});
                System.out.printf("round %d  %-28s plain %12.1f   tls %12.1f   tls/plain %.2f%n", round, cases[c], p, t, t / p);
            }
        }
        for (int c = 0; c < cases.length; c++) {
            double[] ratios = results.get(c).stream().mapToDouble(r -> r[1] / r[0]).sorted().toArray();
            double[] ps = results.get(c).stream().mapToDouble(r -> r[0]).sorted().toArray();
            double[] ts = results.get(c).stream().mapToDouble(r -> r[1]).sorted().toArray();
            System.out.printf("MEDIAN %-28s plain %12.1f   tls %12.1f   tls/plain %.2f (range %.2f-%.2f)%n", cases[c],
                    ps[ps.length / 2], ts[ts.length / 2], ratios[ratios.length / 2], ratios[0], ratios[ratios.length - 1]);
        }
    }

    private static double run(int kind, Options serverOptions, Options clientOptions, double seconds) throws Exception {
        try (TlsTest.Echo server = new TlsTest.Echo(Transport.TCP, serverOptions);
             Reactor client = Reactor.create(clientOptions)) {
            Ampe a = client.ampe();
            ChannelGroup g = a.create();
            Address to = server.clientAddress;
            int ch = Wire.hello(a, g, to).channel();
            Message hr = Wire.await(g, m -> m.channel() == ch);
            if (hr.status() != Status.SUCCESS) {
                throw new IllegalStateException("connect failed: " + hr);
            }
            hr.close();
            int size = kind == 2 ? 16 * 1024 : 64;
            int window = kind == 0 ? 1 : 64;
            byte[] body = new byte[size];
            // warm-up a quarter of the time, then measure
            exchange(a, g, ch, body, window, (long) (seconds * 0.25e9));
            long start = System.nanoTime();
            long n = exchange(a, g, ch, body, window, (long) (seconds * 1e9));
            double secs = (System.nanoTime() - start) / 1e9;
            dev.tofu.testing.Probe.byeSignal(a, g, ch);
            dev.tofu.testing.Probe.awaitCloseSignals(g, ch);
            return switch (kind) {
                case 0 -> secs * 1e6 / n;
                case 1 -> n / secs;
                default -> n * (double) size / secs / 1e6;
            };
        }
    }

    /** Keeps {@code window} requests in flight for {@code nanos}; returns the responses received. */
    private static long exchange(Ampe a, ChannelGroup g, int ch, byte[] body, int window, long nanos) {
        long end = System.nanoTime() + nanos;
        long posted = 0;
        long received = 0;
        while (true) {
            boolean more = System.nanoTime() < end;
            while (more && posted - received < window) {
                Message m = a.get(AllocationStrategy.ALWAYS);
                m.opCode(OpCode.REQUEST).channel(ch).messageId(++posted).body().append(body);
                g.post(m);
            }
            if (!more && received == posted) {
                return received;
            }
            Message r = g.waitReceive(Duration.ofSeconds(10));
            if (r == null) {
                throw new IllegalStateException("stalled at " + received + "/" + posted);
            }
            if (r.origin() != Origin.ENGINE) {
                received++;
            }
            r.close();
        }
    }
}
