package dev.tofu.e2e;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
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

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive-side backpressure (PROTOCOL.md §6.6): a starved channel stops reading, its group gets one
 * pool_empty Signal per starvation episode, and reading resumes when a message enters the pool.
 */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EnginePoolBackpressureTest {
    private static final int FRAMES = 8;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aStarvedChannelGetsOnePoolEmptySignalAndResumesAfterPut(Transport transport) {
        try (Reactor tiny = Reactor.create(Options.of(1, 1)); Reactor peer = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = tiny.ampe();
            ChannelGroup server = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            Ampe pa = peer.ampe();
            ChannelGroup client = pa.create();
            int cch = Wire.hello(pa, client, l.clientAddress()).channel();
            for (int i = 1; i <= FRAMES; i++) {
                Wire.send(pa, client, cch, OpCode.REQUEST, i, "frame " + i);
            }

            // the only pooled message holds the HelloRequest; we keep it, so the next frame starves
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            Message starved = server.waitReceive(Wire.WAIT);
            assertNotNull(starved, "§6.6: the group is told the pool is empty");
            assertEquals(OpCode.SIGNAL, starved.opCode(), "§6.6: a Signal");
            assertEquals(Origin.ENGINE, starved.origin(), "§6.6: origin engine");
            assertEquals(Status.POOL_EMPTY, starved.status(), "§6.6: status pool_empty");
            assertEquals(sch, starved.channel(), "§6.6: channel = the starved channel");
            assertEquals(0L, starved.messageId(), "§6.6: message id 0");
            assertNull(server.waitReceive(Duration.ofMillis(300)),
                    "§6.6 / §9 item 16: at most one pool_empty per starvation episode, and no frame read while starved");

            // giving messages back resumes reading; every frame arrives, in order
            hello.close();
            starved.close(); // §6.6: putting the Signal back grows the pool
            int next = 1;
            int poolEmpty = 0;
            long deadline = System.nanoTime() + Wire.WAIT.toNanos();
            while (next <= FRAMES) {
                assertTrue(System.nanoTime() < deadline, "§6.6: reading resumes after put; got " + (next - 1) + " frames");
                Message m = server.waitReceive(Duration.ofMillis(100));
                if (m == null) {
                    continue;
                }
                if (m.status() == Status.POOL_EMPTY) {
                    assertEquals(sch, m.channel(), "§6.6: pool_empty names the starved channel");
                    poolEmpty++;
                } else {
                    assertEquals(OpCode.REQUEST, m.opCode());
                    assertEquals(next, m.messageId(), "§6.8: frames are delivered in arrival order");
                    assertEquals("frame " + next, Probe.text(m));
                    next++;
                }
                m.close();
            }
            assertTrue(poolEmpty <= FRAMES, "§6.6: at most one pool_empty per episode (one per frame at worst), got " + poolEmpty);

            Probe.byeSignal(pa, client, cch);
            Probe.awaitCloseSignals(client, cch);
            Probe.awaitCloseSignals(server, sch);
            Probe.closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(tiny);
            NoLeaks.assertAtRest(peer);
        }
    }
}
