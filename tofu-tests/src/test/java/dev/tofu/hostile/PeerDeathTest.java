package dev.tofu.hostile;

import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Status;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peer death (PROTOCOL.md §5.5.3, §5.6, §9 item 10): a client in a second JVM opens three channels
 * and streams requests; the process is killed (SIGKILL) mid-stream. The server gets a close Signal
 * for exactly those three channels, closed with reason peer_disconnected, while an in-process
 * client on the same listener keeps echoing.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class PeerDeathTest {
    private static final int CHANNELS = 3;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void killingAPeerProcessMidStreamClosesExactlyItsChannels(Transport t) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            String tag = "peer-" + t + "-" + System.nanoTime();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), PeerProcessMain.class.getName(),
                    server.clientAddress.value(), String.valueOf(CHANNELS), tag)
                    .redirectErrorStream(true).start();
            try {
                CompletableFuture<String> connected = new CompletableFuture<>();
                StringBuilder output = new StringBuilder();
                Thread.ofVirtual().start(() -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            synchronized (output) {
                                output.append(line).append('\n');
                            }
                            if (line.equals("connected")) {
                                connected.complete(line);
                            }
                        }
                    } catch (Exception ignored) {
                        // the process was killed
                    }
                    connected.complete("exited");
                });
                assertEquals("connected", connected.get(30, TimeUnit.SECONDS), "the peer process connects: " + output);
                Set<Integer> peerChannels = server.matching(e -> tag.equals(e.tag())).stream()
                        .map(EchoServer.Event::channel).collect(Collectors.toSet());
                assertEquals(CHANNELS, peerChannels.size(), "§5.4: one server channel per peer channel");
                for (int ch : peerChannels) { // mid-stream: requests are flowing on every channel
                    Probe.awaitTrue(() -> server.matching(e -> e.channel() == ch && e.op() == OpCode.REQUEST).size() >= 20,
                            Wire.WAIT, "requests stream on channel " + ch);
                }
                int closesBefore = server.matching(EchoServer.Event::isCloseSignal).size();
                long peerLossBefore = server.closes(Status.PEER_DISCONNECTED);

                p.destroyForcibly();
                assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the peer process dies");

                for (int ch : peerChannels) {
                    server.await(e -> e.isCloseSignal() && e.channel() == ch, Wire.WAIT, "§5.5.3: close Signal for channel " + ch);
                }
                healthy.awaitMoreRounds(50);
                List<EchoServer.Event> closes = server.matching(EchoServer.Event::isCloseSignal);
                assertEquals(closesBefore + CHANNELS, closes.size(), "§5.6: close Signals for exactly the dead peer's channels: " + closes);
                assertEquals(peerChannels, closes.subList(closesBefore, closes.size()).stream()
                        .map(EchoServer.Event::channel).collect(Collectors.toSet()));
                assertEquals(peerLossBefore + CHANNELS, server.closes(Status.PEER_DISCONNECTED),
                        "§9 item 10: a dead peer (EOF/reset) closes with reason peer_disconnected; reasons: "
                                + server.reactor.stats().closeReasons());
                assertEquals(1, server.reactor.stats().openServers(), "only the healthy client's channel stays open");
            } finally {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
