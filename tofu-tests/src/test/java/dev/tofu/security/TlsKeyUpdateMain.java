package dev.tofu.security;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.testing.Probe;
import dev.tofu.testing.SelfSignedCert;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;

import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Child-JVM body of {@link TlsTest#tls13KeyUpdatesInBothDirectionsDoNotDisturbTheStream}: started
 * with a security properties file that lowers {@code jdk.tls.keyLimits}, so both ends send many TLS
 * 1.3 KeyUpdate messages (with update_requested) while pipelined echo traffic flows both ways.
 * Prints {@code OK <messages> <bytes>} and exits 0 when every body came back intact and in order.
 */
public final class TlsKeyUpdateMain {
    private TlsKeyUpdateMain() {
    }

    /** {@code args[0]}: a directory for the certificate; {@code args[1]}: messages to echo. */
    public static void main(String[] args) throws Exception {
        SelfSignedCert cert = SelfSignedCert.generate(Path.of(args[0]), "localhost", "dns:localhost,ip:127.0.0.1");
        int count = Integer.parseInt(args[1]);
        Options base = Options.of(512, 1024);
        try (TlsTest.Echo server = new TlsTest.Echo(Transport.TCP, base.withTls(cert.context()));
             Reactor client = Reactor.create(base.withTls(SelfSignedCert.trusting(cert)))) {
            Ampe a = client.ampe();
            ChannelGroup g = a.create();
            int ch = Wire.hello(a, g, server.clientAddress).channel();
            Message hr = Wire.await(g, m -> m.channel() == ch);
            if (hr.status() != Status.SUCCESS) {
                throw new IllegalStateException("connect failed: " + hr);
            }
            hr.close();
            Random random = new Random(1);
            long sent = 0;
            long got = 0;
            long bytes = 0;
            int posted = 0;
            int received = 0;
            while (received < count) {
                while (posted < count && posted - received < 64) {
                    byte[] body = new byte[1 + random.nextInt(16_000)];
                    random.nextBytes(body);
                    sent += crc(body);
                    bytes += body.length;
                    Message m = a.get(AllocationStrategy.ALWAYS);
                    m.opCode(OpCode.REQUEST).channel(ch).messageId(++posted).body().append(body);
                    g.post(m);
                }
                Message r = g.waitReceive(Wire.WAIT);
                if (r == null) {
                    throw new IllegalStateException("stalled at " + received + "/" + count);
                }
                if (r.origin() == Origin.ENGINE) {
                    if (r.status() != Status.POOL_EMPTY) {
                        throw new IllegalStateException("unexpected engine message " + r);
                    }
                    r.close();
                    continue;
                }
                received++;
                if (r.messageId() != received) {
                    throw new IllegalStateException("out of order: " + r.messageId() + " != " + received);
                }
                got += crc(r.body().toByteArray());
                r.close();
            }
            if (got != sent) {
                throw new IllegalStateException("checksums differ");
            }
            Probe.byeSignal(a, g, ch);
            Probe.awaitCloseSignals(g, ch);
            System.out.println("OK " + count + " " + bytes);
        }
        System.out.flush();
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }
}
