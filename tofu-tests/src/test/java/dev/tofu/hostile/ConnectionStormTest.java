package dev.tofu.hostile;

import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.internal.engine.Engine;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection storms against one listener (PROTOCOL.md §5.1, §5.4, §5.6): thousands of raw peers
 * connect in bursts and close abruptly, some after a HelloRequest frame, some after half a header,
 * some after nothing. The listener survives (a normal client connects and echoes afterwards), no two
 * live channels ever share a number, every channel gets exactly one close Signal, and the process
 * is back to its file-descriptor and engine-thread counts once the storm settles.
 */
@Timeout(90)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ConnectionStormTest {
    private static final int BURST = 200;

    private static long openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @CsvSource({"TCP,2000", "UDS,1000"})
    void thousandsOfAbruptConnectsLeaveTheListenerWorkingAndLeakNothing(Transport t, int connections) throws Exception {
        try (EchoServer server = new EchoServer(t, Options.DEFAULT)) {
            // warm up once so lazily opened JDK resources (poller, selector pipes) are counted in the baseline
            int closesBeforeWarmUp = server.matching(EchoServer.Event::isCloseSignal).size();
            try (HealthyClient warm = new HealthyClient(server.clientAddress)) {
                warm.awaitMoreRounds(5);
            }
            Probe.awaitTrue(() -> server.reactor.stats().openServers() == 0, Wire.WAIT, "warm-up channel closed");
            // the stats count the channel closed before the echo loop has recorded its close Signal:
            // wait for the Signal itself, or the replay below would meet it without its HelloRequest
            Probe.awaitTrue(() -> server.matching(EchoServer.Event::isCloseSignal).size() == closesBeforeWarmUp + 1,
                    Wire.WAIT, "the warm-up channel's close Signal was received");
            int closesBefore = closesBeforeWarmUp + 1;
            int eventsBefore = server.events.size();
            Probe.awaitTrue(() -> Engine.liveThreads() == 1, Wire.WAIT, "only the listener thread runs");
            long fdsBefore = openFds();
            int threadsBefore = Engine.liveThreads();

            long nextId = 1;
            int withHello = 0;
            for (int done = 0; done < connections; done += BURST) {
                List<java.nio.channels.SocketChannel> burst = new ArrayList<>(BURST);
                for (int i = 0; i < BURST && done + i < connections; i++) {
                    burst.add(java.nio.channels.SocketChannel.open(Raw.socketAddress(server.clientAddress)));
                }
                for (int i = 0; i < burst.size(); i++) {
                    var s = burst.get(i);
                    switch (i % 3) {
                        case 0 -> {
                            Raw.of(s).write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), nextId++, ""));
                            withHello++;
                        }
                        case 1 -> Raw.of(s).write(new byte[] {0, 1, 3}); // three bytes of a header
                        default -> { } // nothing at all
                    }
                    if (t == Transport.TCP) {
                        s.setOption(StandardSocketOptions.SO_LINGER, 0); // abortive: RST
                    }
                }
                for (var s : burst) {
                    s.close();
                }
            }
            int expectedCloses = closesBefore + connections;
            Probe.awaitTrue(() -> server.matching(EchoServer.Event::isCloseSignal).size() >= expectedCloses,
                    Duration.ofSeconds(60), "§5.6: one close Signal per stormed connection");

            // no collisions: replay the event log; a number is never opened twice before its close
            Map<Integer, Long> open = new HashMap<>();
            int hellos = 0;
            int closes = 0;
            for (EchoServer.Event e : server.events.stream().skip(eventsBefore).toList()) {
                if (e.channel() == server.listenerChannel) {
                    continue;
                }
                if (e.op() == OpCode.HELLO_REQUEST && e.origin() == dev.tofu.Origin.APPLICATION) {
                    hellos++;
                    assertNull(open.put(e.channel(), e.id()), "§5.1: channel " + e.channel() + " opened twice while open");
                } else if (e.isCloseSignal() && e.id() != 0) {
                    closes++;
                    Long openedWith = open.remove(e.channel());
                    assertEquals(e.id(), openedWith, "§5.6: the close Signal of channel " + e.channel()
                            + " carries the id its HelloRequest opened it with");
                }
            }
            assertEquals(withHello, hellos, "every HelloRequest frame was delivered (the server read until EOF)");
            assertEquals(withHello, closes, "each of them closed exactly once");
            assertTrue(open.isEmpty(), "every opened channel closed: " + open);
            long totalCloses = server.matching(EchoServer.Event::isCloseSignal).size() - closesBefore;
            assertEquals(connections, totalCloses, "§5.6: exactly one close Signal per connection");

            Probe.awaitTrue(() -> server.reactor.stats().openServers() == 0, Wire.WAIT, "every stormed channel closed");
            Probe.awaitTrue(() -> Engine.liveThreads() <= threadsBefore, Wire.WAIT,
                    "engine threads back to " + threadsBefore + " (now " + Engine.liveThreads() + ")");
            Probe.awaitTrue(() -> openFds() <= fdsBefore, Wire.WAIT,
                    "file descriptors back to " + fdsBefore + " (now " + openFds() + ")");

            // the listener survived: a normal client connects and echoes
            try (HealthyClient after = new HealthyClient(server.clientAddress)) {
                after.awaitMoreRounds(50);
            }
            assertEquals(1, server.reactor.stats().openListeners(), "the listener is still open");
            server.closeListener();
            NoLeaks.assertAtRest(server.reactor);
        }
    }
}
