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
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Raw;
import dev.tofu.testing.SelfSignedCert;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on TCP channels (Options.withTls): frames travel intact through TLS, a client checks the
 * server's certificate and name, every handshake failure ends with a status in bounded time
 * (CONNECT_FAILED for the client's HelloRequest, ACCEPT_FAILED as the accepted channel's close
 * reason) while the listener keeps serving, Unix-domain channels stay plain, and a reactor closes
 * promptly with handshakes in progress. Certificates are generated per run with keytool.
 */
@Timeout(120)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class TlsTest {
    @TempDir
    static Path dir;
    /** SAN localhost and 127.0.0.1: what the servers present and the clients trust. */
    static SelfSignedCert good;
    /** Same names, another key: a certificate the clients do not trust. */
    static SelfSignedCert stranger;
    /** Trusted, but only for the name elsewhere.invalid. */
    static SelfSignedCert elsewhere;

    @BeforeAll
    static void certificates() throws Exception {
        good = SelfSignedCert.generate(dir, "localhost", "dns:localhost,ip:127.0.0.1");
        stranger = SelfSignedCert.generate(dir, "stranger", "dns:localhost,ip:127.0.0.1");
        elsewhere = SelfSignedCert.generate(dir, "elsewhere", "dns:elsewhere.invalid");
    }

    static Options server() throws Exception {
        return Options.DEFAULT.withTls(good.context());
    }

    static Options client(SelfSignedCert... trusted) throws Exception {
        return Options.DEFAULT.withTls(SelfSignedCert.trusting(trusted));
    }

    @Test
    void smallMessagesLargeBodiesAndAPipelinedBurstEchoIntactOverTls() throws Exception {
        try (Echo server = new Echo(Transport.TCP, server());
             Reactor r = Reactor.create(client(good).withMaxPoolMsgs(2048).withInitialPoolMsgs(1024))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            int ch = connect(a, g, server.clientAddress, Status.SUCCESS);

            for (int i = 1; i <= 300; i++) { // one at a time
                String text = "small " + i;
                Wire.send(a, g, ch, OpCode.REQUEST, i, text);
                Message m = Wire.await(g, x -> x.channel() == ch);
                assertEquals(OpCode.RESPONSE, m.opCode());
                assertEquals(i, m.messageId());
                assertEquals(text, Probe.text(m), "the body comes back intact");
                m.close();
            }

            Random random = new Random(42);
            for (int i = 1; i <= 30; i++) { // largest bodies: each spans several TLS records
                byte[] body = new byte[65_535];
                random.nextBytes(body);
                Message m = a.get(AllocationStrategy.ALWAYS);
                m.opCode(OpCode.REQUEST).channel(ch).messageId(1000 + i).body().append(body);
                g.post(m);
                Message back = Wire.await(g, x -> x.channel() == ch);
                assertEquals(1000 + i, back.messageId());
                assertEquals(crc(body), crc(bytes(back)), "a 65535-byte body comes back with the same checksum");
                back.close();
            }

            int burst = 5000;
            int window = 500; // under Options.maxOutboundPerChannel
            long sentCrc = 0;
            long gotCrc = 0;
            int posted = 0;
            int received = 0;
            long deadline = System.nanoTime() + Wire.WAIT.toNanos();
            while (received < burst) {
                while (posted < burst && posted - received < window) {
                    posted++;
                    byte[] body = ("burst " + posted + " " + "x".repeat(posted % 97)).getBytes(StandardCharsets.UTF_8);
                    sentCrc += crc(body);
                    Message m = a.get(AllocationStrategy.ALWAYS);
                    m.opCode(OpCode.REQUEST).channel(ch).messageId(10_000 + posted).body().append(body);
                    g.post(m);
                }
                Message back = g.waitReceive(Duration.ofMillis(100));
                if (back == null) {
                    assertTrue(System.nanoTime() < deadline, "burst stalled at " + received + "/" + burst);
                    continue;
                }
                if (back.origin() == Origin.ENGINE && back.status() == Status.POOL_EMPTY) {
                    back.close(); // §6.6: reading paused a moment; not part of the echo
                    continue;
                }
                received++;
                assertEquals(10_000 + received, back.messageId(), "pipelined responses arrive in order");
                gotCrc += crc(bytes(back));
                back.close();
            }
            assertEquals(sentCrc, gotCrc, "every body of the burst came back intact");

            Probe.byeSignal(a, g, ch);
            Probe.awaitCloseSignals(g, ch);
            NoLeaks.assertAtRest(r);
            assertTrue(r.stats().messagesIn() >= 300 + 30 + burst, "counted: " + r.stats());
        }
    }

    @Test
    void manyHandshakesAtOnceEachGetTheirHelloResponse() throws Exception {
        // 24 clients connect together: handshakes race on two carriers, and each server writer must
        // wait for its reader's handshake before the first write (the HelloResponse)
        int n = 24;
        try (Echo server = new Echo(Transport.TCP, server());
             Reactor r = Reactor.create(client(good).withMaxPoolMsgs(256).withInitialPoolMsgs(128))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            java.util.Set<Integer> channels = new java.util.HashSet<>();
            for (int i = 0; i < n; i++) {
                channels.add(Wire.hello(a, g, server.clientAddress).channel());
            }
            java.util.Set<Integer> answered = new java.util.HashSet<>();
            while (answered.size() < n) {
                Message m = Wire.await(g, x -> channels.contains(x.channel()));
                try {
                    assertEquals(OpCode.HELLO_RESPONSE, m.opCode(), "every handshake succeeds and is answered: " + m);
                    assertEquals(Status.SUCCESS, m.status());
                    assertTrue(answered.add(m.channel()), "one HelloResponse per channel");
                } finally {
                    m.close();
                }
            }
            for (int ch : channels) {
                Wire.send(a, g, ch, OpCode.REQUEST, ch, "to " + ch);
            }
            for (int i = 0; i < n; i++) {
                Message m = Wire.await(g, x -> x.opCode() == OpCode.RESPONSE);
                assertEquals("to " + m.channel(), Probe.text(m), "each channel gets its own echo");
                m.close();
            }
            for (int ch : channels) {
                Probe.byeSignal(a, g, ch);
            }
            Probe.awaitCloseSignals(g, channels.stream().mapToInt(Integer::intValue).toArray());
            assertEquals(0, server.closes(Status.UNKNOWN_ERROR) + server.closes(Status.ACCEPT_FAILED),
                    "no server channel failed: " + server.reactor.stats().closeReasons());
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void directWritesWorkOverTls() throws Exception {
        try (Echo server = new Echo(Transport.TCP, server().withDirectWrite(true));
             Reactor r = Reactor.create(client(good).withDirectWrite(true))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            int ch = connect(a, g, server.clientAddress, Status.SUCCESS);
            for (int i = 1; i <= 200; i++) { // the posting thread writes through TLS itself
                Wire.send(a, g, ch, OpCode.REQUEST, i, "direct " + i);
                Message m = Wire.await(g, x -> x.channel() == ch);
                assertEquals(i, m.messageId());
                assertEquals("direct " + i, Probe.text(m));
                m.close();
            }
            Probe.byeSignal(a, g, ch);
            Probe.awaitCloseSignals(g, ch);
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void tls13KeyUpdatesInBothDirectionsDoNotDisturbTheStream() throws Exception {
        // a lowered key limit (a security property, fixed per JVM: hence a child JVM) makes each end
        // send a KeyUpdate with update_requested every 64 KiB; the other end's reader must answer
        Path props = dir.resolve("keylimits.security");
        java.nio.file.Files.writeString(props,
                "jdk.tls.keyLimits=AES/GCM/NoPadding KeyUpdate 2^16, ChaCha20-Poly1305 KeyUpdate 2^16\n");
        Path certDir = java.nio.file.Files.createDirectories(dir.resolve("keyupdate"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-Djava.security.properties=" + props,
                "-Djavax.net.debug=ssl:handshake", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), TlsKeyUpdateMain.class.getName(), certDir.toString(), "1500")
                .redirectErrorStream(true).start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try (var in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "read failed: " + e;
            }
        });
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the KeyUpdate run did not finish within 90 s");
        }
        String out = output.get(Wire.WAIT.toSeconds(), TimeUnit.SECONDS);
        String tail = out.substring(Math.max(0, out.length() - 2000));
        assertEquals(0, p.exitValue(), "the child run failed: " + tail);
        assertTrue(out.contains("OK 1500 "), "every body came back intact and in order: " + tail);
        long requested = out.lines().filter(l -> l.contains("\"request_update\": update_requested")).count();
        long answered = out.lines().filter(l -> l.contains("\"request_update\": update_not_requested")).count();
        assertTrue(requested >= 20, "KeyUpdates were requested: " + requested);
        // Each KeyUpdate shows twice (produced by one end, consumed by the other, both in the child).
        // The abortive close at the end cuts off the KeyUpdates still in flight in both directions
        // (a request whose record was never read, an answer JSSE keeps until its next write), so
        // the last few go unanswered: 2, 4 and 6 lines have been seen in runs that were otherwise
        // intact. A reader that failed to answer would leave hundreds, so allow a small tail.
        long allowed = Math.max(8, requested / 50);
        assertTrue(answered <= requested && requested - answered <= allowed,
                "every requested KeyUpdate was answered but for the last few cut off at the close (at most "
                        + allowed + " lines): " + requested + " requested, " + answered + " answered");
    }

    @Test
    void aTlsListenerWithAHandshakeTimeoutClosesAMutePeerLikeAPlainOne() throws Exception {
        Duration t = Duration.ofMillis(600);
        try (Echo server = new Echo(Transport.TCP, server().withHandshakeTimeout(t));
             Raw mute = Raw.connect(server.clientAddress)) {
            long start = System.nanoTime();
            assertTrue(mute.awaitPeerClose(Wire.WAIT), "a peer that never starts its handshake is closed");
            assertTrue(System.nanoTime() - start >= t.toNanos() / 2, "not before the handshake timeout");
            Probe.awaitTrue(() -> server.closes(Status.COMMUNICATION_FAILED) == 1, Wire.WAIT,
                    "the reason is the handshake timeout's, as without TLS: " + server.reactor.stats().closeReasons());
        }
    }

    @Test
    void aClientThatDoesNotTrustTheServerGetsConnectFailedAndTheServerKeepsServing() throws Exception {
        try (Echo server = new Echo(Transport.TCP, server());
             Reactor wary = Reactor.create(client(stranger));
             Reactor trusting = Reactor.create(client(good))) {
            Ampe a = wary.ampe();
            ChannelGroup g = a.create();
            long start = System.nanoTime();
            connect(a, g, server.clientAddress, Status.CONNECT_FAILED);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "refused at once, not by a timeout");
            Probe.awaitTrue(() -> server.closes(Status.ACCEPT_FAILED) == 1, Wire.WAIT,
                    "the server closed the refused connection with ACCEPT_FAILED: " + server.reactor.stats().closeReasons());
            assertEquals(1, server.closes(Status.ACCEPT_FAILED));

            Ampe b = trusting.ampe();
            ChannelGroup h = b.create();
            int ch = connect(b, h, server.clientAddress, Status.SUCCESS);
            Wire.send(b, h, ch, OpCode.REQUEST, 7, "after a refusal");
            Message m = Wire.await(h, x -> x.channel() == ch);
            assertEquals("after a refusal", Probe.text(m), "the listener still serves a trusting client");
            m.close();
            Probe.byeSignal(b, h, ch);
            Probe.awaitCloseSignals(h, ch);
            NoLeaks.assertAtRest(wary);
            NoLeaks.assertAtRest(trusting);
        }
    }

    @Test
    void aTrustedCertificateForAnotherNameGivesConnectFailed() throws Exception {
        try (Echo server = new Echo(Transport.TCP, Options.DEFAULT.withTls(elsewhere.context()));
             Reactor r = Reactor.create(client(elsewhere))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            // the chain is trusted, but 127.0.0.1 is not among the certificate's names
            connect(a, g, server.clientAddress, Status.CONNECT_FAILED);
            Probe.awaitTrue(() -> server.closes(Status.ACCEPT_FAILED) == 1, Wire.WAIT,
                    "the server's end closes with ACCEPT_FAILED: " + server.reactor.stats().closeReasons());
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void aPlainClientAgainstATlsServerIsClosedPromptly() throws Exception {
        try (Echo server = new Echo(Transport.TCP, server());
             Reactor plain = Reactor.create(Options.DEFAULT)) {
            Ampe a = plain.ampe();
            ChannelGroup g = a.create();
            long start = System.nanoTime();
            int ch = Wire.hello(a, g, server.clientAddress).channel();
            List<Message> got = Wire.collectUntil(g, m -> Wire.isCloseSignal(m, ch));
            try {
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "closed at once, not by a timeout");
                assertTrue(got.stream().noneMatch(m -> m.opCode() == OpCode.HELLO_RESPONSE && m.status() == Status.SUCCESS),
                        "a plain client is never answered: " + got);
            } finally {
                Probe.closeAll(got);
            }
            Probe.awaitTrue(() -> server.closes(Status.ACCEPT_FAILED) == 1, Wire.WAIT,
                    "the server refuses the plaintext with ACCEPT_FAILED: " + server.reactor.stats().closeReasons());
            Probe.awaitTrue(() -> plain.stats().closeReasons().keySet().stream().anyMatch(s -> s == Status.PEER_DISCONNECTED || s == Status.RECV_FAILED),
                    Wire.WAIT, "the plain client sees a lost peer or an unreadable stream: " + plain.stats().closeReasons());
            NoLeaks.assertAtRest(plain);
        }
    }

    @Test
    void aTlsClientAgainstAPlainServerGetsConnectFailedInBoundedTime() throws Exception {
        Duration handshake = Duration.ofSeconds(2);
        try (Echo server = new Echo(Transport.TCP, Options.DEFAULT);
             Reactor r = Reactor.create(client(good).withHandshakeTimeout(handshake))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            long start = System.nanoTime();
            connect(a, g, server.clientAddress, Status.CONNECT_FAILED);
            long took = System.nanoTime() - start;
            assertTrue(took < handshake.toNanos() + TimeUnit.SECONDS.toNanos(8), "failed within the handshake timeout: " + Duration.ofNanos(took));
            assertTrue(server.events.stream().noneMatch(e -> e.op() == OpCode.HELLO_REQUEST),
                    "the plain server never saw a HelloRequest: " + server.events);
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void aTlsClientSpeaksTlsFirstAndGivesUpOnASilentServerAfterTheHandshakeTimeout() throws Exception {
        Duration handshake = Duration.ofMillis(800);
        try (Raw.Server silent = new Raw.Server(true, 0);
             Reactor r = Reactor.create(client(good).withHandshakeTimeout(handshake))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            long start = System.nanoTime();
            int ch = Wire.hello(a, g, silent.clientAddress()).channel();
            try (Raw peer = silent.accept()) {
                byte[] first = peer.readBytes(3, Wire.WAIT);
                assertEquals(0x16, first[0] & 0xFF, "the first byte is a TLS handshake record, not a tofu frame");
                assertEquals(0x03, first[1] & 0xFF, "TLS record version 3.x");
                Message hr = Wire.await(g, m -> m.channel() == ch);
                long took = System.nanoTime() - start;
                assertEquals(OpCode.HELLO_RESPONSE, hr.opCode());
                assertEquals(Status.CONNECT_FAILED, hr.status(), "an unanswered handshake fails the connect: " + hr);
                assertTrue(took >= handshake.toNanos() / 2, "not before the handshake timeout: " + Duration.ofNanos(took));
                hr.close();
                Probe.awaitCloseSignals(g, ch);
            }
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void garbageSentToATlsListenerIsClosedAndOtherChannelsAreUnaffected() throws Exception {
        try (Echo server = new Echo(Transport.TCP, server());
             Reactor r = Reactor.create(client(good))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            int ch = connect(a, g, server.clientAddress, Status.SUCCESS);
            try (Raw garbage = Raw.connect(server.clientAddress)) {
                byte[] junk = new byte[512];
                new Random(7).nextBytes(junk);
                junk[0] = 0x16; // looks like a handshake record for a moment
                junk[1] = 0x03;
                junk[2] = 0x03;
                garbage.write(junk);
                assertTrue(garbage.awaitPeerClose(Wire.WAIT), "the listener's end closes the garbage connection");
            }
            try (Raw http = Raw.connect(server.clientAddress)) {
                http.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(http.awaitPeerClose(Wire.WAIT), "and a plaintext HTTP request");
            }
            Probe.awaitTrue(() -> server.closes(Status.ACCEPT_FAILED) == 2, Wire.WAIT,
                    "both closed with ACCEPT_FAILED: " + server.reactor.stats().closeReasons());
            Wire.send(a, g, ch, OpCode.REQUEST, 9, "still fine");
            Message m = Wire.await(g, x -> x.channel() == ch);
            assertEquals("still fine", Probe.text(m), "an established TLS channel is unaffected");
            m.close();
            Probe.byeSignal(a, g, ch);
            Probe.awaitCloseSignals(g, ch);
        }
    }

    @Test
    void unixDomainChannelsOfATlsReactorStayPlain() throws Exception {
        try (Echo server = new Echo(Transport.UDS, server());
             Reactor r = Reactor.create(client(good))) {
            try (Raw raw = Raw.connect(server.clientAddress)) { // a plain peer: plain frames both ways
                raw.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 5, "plain"));
                Raw.Frame f = raw.readFrame(Wire.WAIT);
                assertEquals(OpCode.HELLO_RESPONSE.code(), f.opCode(), "a UDS listener of a TLS reactor answers in plaintext");
                assertEquals("plain", f.bodyText());
            }
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            int ch = connect(a, g, server.clientAddress, Status.SUCCESS); // a TLS reactor's UDS client
            Wire.send(a, g, ch, OpCode.REQUEST, 6, "uds");
            Message m = Wire.await(g, x -> x.channel() == ch);
            assertEquals("uds", Probe.text(m));
            m.close();
            Probe.byeSignal(a, g, ch);
            Probe.awaitCloseSignals(g, ch);
            assertEquals(0, server.closes(Status.ACCEPT_FAILED), "no handshake was attempted on UDS");
        }
    }

    @Test
    void aGracefulByeExchangeClosesBothEndsOverTls() throws Exception {
        try (Echo server = new Echo(Transport.TCP, server());
             Reactor r = Reactor.create(client(good))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            int ch = connect(a, g, server.clientAddress, Status.SUCCESS);
            Wire.send(a, g, ch, OpCode.BYE_REQUEST, 77, "bye");
            List<Message> got = Wire.collectUntil(g, m -> Wire.isCloseSignal(m, ch));
            try {
                assertEquals(2, got.size(), "ByeResponse, then the close Signal: " + got);
                assertEquals(OpCode.BYE_RESPONSE, got.get(0).opCode());
                assertEquals(77, got.get(0).messageId());
                assertEquals(Origin.APPLICATION, got.get(0).origin(), "the peer's ByeResponse came over TLS");
            } finally {
                Probe.closeAll(got);
            }
            server.await(e -> e.isCloseSignal(), "the server's end closed too");
            assertEquals(1L, r.stats().closeReasons().getOrDefault(Status.CHANNEL_CLOSED, 0L), "§5.5.1: a graceful close");
            Probe.awaitTrue(() -> server.closes(Status.CHANNEL_CLOSED) == 1, Wire.WAIT,
                    "the server's end closed gracefully: " + server.reactor.stats().closeReasons());
            NoLeaks.assertAtRest(r);
        }
    }

    @Test
    void closingReactorsWithHandshakesInProgressIsPrompt() throws Exception {
        // server side: a raw peer connects to a TLS listener and never sends its ClientHello
        Echo server = new Echo(Transport.TCP, server());
        try (Raw mute = Raw.connect(server.clientAddress)) {
            Probe.awaitTrue(() -> server.reactor.stats().openServers() == 1, Wire.WAIT, "accepted");
            long start = System.nanoTime();
            server.close();
            long took = System.nanoTime() - start;
            assertTrue(took < TimeUnit.SECONDS.toNanos(5), "the close did not wait for the handshake: " + Duration.ofNanos(took));
            assertTrue(mute.awaitPeerClose(Wire.WAIT), "the half-open connection is closed");
        }
        // client side: a TLS client connects to a raw server that reads the ClientHello and answers nothing
        try (Raw.Server silent = new Raw.Server(true, 0)) {
            Reactor r = Reactor.create(client(good));
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            Wire.hello(a, g, silent.clientAddress());
            try (Raw peer = silent.accept()) {
                peer.readBytes(5, Wire.WAIT); // the ClientHello is on its way: the handshake waits for us
                long start = System.nanoTime();
                r.close();
                long took = System.nanoTime() - start;
                assertTrue(took < TimeUnit.SECONDS.toNanos(5), "the close did not wait for the handshake: " + Duration.ofNanos(took));
                assertTrue(peer.awaitPeerClose(Wire.WAIT), "the client's socket is closed");
            }
        }
        assertTrue(NoLeaks.awaitTrue(() -> dev.tofu.internal.engine.Engine.liveThreads() == 0, Wire.WAIT),
                "no engine thread is left: " + dev.tofu.internal.engine.Engine.liveThreads());
    }

    @Test
    void tlsOptionsAreAValueThatNeverPrintsKeyMaterial() throws Exception {
        SSLContext context = good.context();
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withTls(null));
        assertTrue(Options.DEFAULT.tls().isEmpty(), "off by default");
        Options on = Options.DEFAULT.withTls(context);
        assertEquals(context, on.tls().orElseThrow());
        assertEquals(on, Options.DEFAULT.withTls(context), "equal with the same context");
        assertEquals(on.hashCode(), Options.DEFAULT.withTls(context).hashCode());
        assertNotEquals(on, Options.DEFAULT.withTls(good.context()), "another context is another setting");
        assertEquals(Options.DEFAULT, on.withoutTls(), "withoutTls turns it off again");
        assertEquals(context, on.withMaxPoolMsgs(128).tls().orElseThrow(), "kept by other with* copies");
        String text = on.toString();
        assertTrue(text.contains("tls=on(TLS)"), text);
        assertFalse(text.contains("BEGIN") || text.contains("PRIVATE") || text.contains("@"), "no key material or identity: " + text);
        assertTrue(Options.DEFAULT.toString().contains("tls=off"));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Posts a HelloRequest and waits for its HelloResponse with {@code expected}; returns the channel. */
    private static int connect(Ampe a, ChannelGroup g, Address address, Status expected) {
        int ch = Wire.hello(a, g, address).channel();
        Message hr = Wire.await(g, m -> m.channel() == ch);
        try {
            assertEquals(OpCode.HELLO_RESPONSE, hr.opCode(), "a HelloRequest is answered by a HelloResponse: " + hr);
            assertEquals(expected, hr.status(), "HelloResponse status: " + hr);
            if (expected != Status.SUCCESS) {
                assertEquals(Origin.ENGINE, hr.origin(), "§5.3: the engine returns a failed HelloRequest");
            }
        } finally {
            hr.close();
        }
        if (expected != Status.SUCCESS) {
            Probe.awaitCloseSignals(g, ch);
        }
        return ch;
    }

    private static byte[] bytes(Message m) {
        return m.body().toByteArray();
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    /**
     * A tofu echo server (reactor, group, listener and a loop thread) that answers Request,
     * HelloRequest, ByeRequest and Signal by re-posting the message, and records what it received.
     * Threads: the loop alone calls waitReceive; tests read {@link #events} from any thread.
     */
    static final class Echo implements AutoCloseable {
        record Event(int channel, OpCode op, Origin origin, Status status) {
            boolean isCloseSignal() {
                return op == OpCode.SIGNAL && origin == Origin.ENGINE && status == Status.CHANNEL_CLOSED;
            }
        }

        final Reactor reactor;
        final Address clientAddress;
        final java.util.concurrent.ConcurrentLinkedQueue<Event> events = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final ChannelGroup group;
        private final Thread loop;
        private volatile Throwable error;
        private boolean closed;

        Echo(Transport transport, Options options) {
            reactor = Reactor.create(options);
            group = reactor.ampe().create();
            clientAddress = Wire.listen(reactor.ampe(), group, transport.serverAddress()).clientAddress();
            loop = Thread.ofVirtual().name("tls-echo").start(this::run);
        }

        private void run() {
            try {
                while (true) {
                    Message m;
                    try {
                        m = group.waitReceive(Duration.ofMillis(200));
                    } catch (TofuException e) {
                        return; // destroyed by close()
                    }
                    if (m == null) {
                        continue;
                    }
                    events.add(new Event(m.channel(), m.opCode(), m.origin(), m.status()));
                    if (m.status() == Status.RECEIVER_UPDATE && m.channel() == 0) {
                        m.close();
                        return;
                    }
                    OpCode reply = m.origin() == Origin.ENGINE ? null : switch (m.opCode()) {
                        case REQUEST -> OpCode.RESPONSE;
                        case HELLO_REQUEST -> OpCode.HELLO_RESPONSE;
                        case BYE_REQUEST -> OpCode.BYE_RESPONSE;
                        case SIGNAL -> OpCode.SIGNAL;
                        default -> null;
                    };
                    if (reply == null) {
                        m.close();
                        continue;
                    }
                    try {
                        group.post(m.opCode(reply).more(false));
                    } catch (TofuException e) {
                        m.close(); // the channel closed meanwhile
                    }
                }
            } catch (Throwable t) {
                error = t;
            }
        }

        long closes(Status reason) {
            return reactor.stats().closeReasons().getOrDefault(reason, 0L);
        }

        void await(java.util.function.Predicate<Event> match, String what) {
            Probe.awaitTrue(() -> events.stream().anyMatch(match), Wire.WAIT, what + "; events: " + events);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                group.updateReceiver(null);
                loop.join(Wire.WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (TofuException ignored) {
                // already destroyed
            } finally {
                reactor.close();
            }
            if (error != null) {
                throw new AssertionError("echo loop failed", error);
            }
        }
    }
}
