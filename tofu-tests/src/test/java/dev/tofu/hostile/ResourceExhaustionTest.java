package dev.tofu.hostile;

import dev.tofu.AllocationStrategy;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resource exhaustion (PROTOCOL.md §6.6): many channels starving on an empty pool at once.
 *
 * <p>Channel-number exhaustion is tested on {@code ChannelTable} directly (ChannelTableTest); through
 * the engine over real sockets it is not feasible here: every open channel holds at least one file
 * descriptor, the hard limit is 20,000 (&lt; 65,534 numbers), and a channel whose connect fails
 * releases its number at once, so post() can never be driven to allocation_failed.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ResourceExhaustionTest {
    private static final int CHANNELS = 20;
    private static final int REQUESTS = 5;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void twentyChannelsStarvingAtOnceEachGetOnePoolEmptyPerEpisodeAndAllDataArrives(Transport t) {
        try (Reactor tiny = Reactor.create(Options.of(1, 1)); Reactor peer = Reactor.create(Options.of(16, 256))) {
            Ampe ampe = tiny.ampe();
            ChannelGroup server = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, t.serverAddress());
            Ampe pa = peer.ampe();
            ChannelGroup client = pa.create();
            List<Integer> clientChannels = new ArrayList<>();
            for (int i = 0; i < CHANNELS; i++) {
                long base = 1000L * (i + 1);
                Message hello = pa.get(AllocationStrategy.ALWAYS);
                l.clientAddress().format(hello);
                hello.messageId(base);
                int ch = client.post(hello).channel();
                clientChannels.add(ch);
                for (int k = 1; k <= REQUESTS; k++) {
                    Wire.send(pa, client, ch, OpCode.REQUEST, base + k, "data " + (base + k));
                }
            }

            Map<Integer, Long> lastId = new HashMap<>();        // server channel → last frame id seen
            Map<Integer, Boolean> starved = new HashMap<>();    // server channel → pool_empty not yet followed by a frame
            Map<Integer, Integer> poolEmpties = new HashMap<>();
            List<Message> held = new ArrayList<>();
            // phase 1: keep every message: the single pooled message is gone, every channel starves
            Set<Integer> starvedChannels = new HashSet<>();
            long deadline = System.nanoTime() + Wire.WAIT.toNanos();
            while (starvedChannels.size() < CHANNELS) {
                assertTrue(System.nanoTime() < deadline, "§6.6: every channel with data reports pool_empty; got " + starvedChannels);
                Message m = server.waitReceive(Duration.ofMillis(100));
                if (m == null) {
                    continue;
                }
                held.add(m);
                observe(m, lastId, starved, poolEmpties);
                if (m.status() == Status.POOL_EMPTY) {
                    starvedChannels.add(m.channel());
                }
            }
            assertNull(server.waitReceive(Duration.ofMillis(300)),
                    "§6.6 / §9 item 16: no second pool_empty in an episode, and no frame read while starved");

            // phase 2: give everything back; each put lets one reader go on; all data arrives in order
            held.forEach(Message::close);
            int frames = (int) lastId.size(); // hellos seen so far count as frames below
            int expectedFrames = CHANNELS * (1 + REQUESTS);
            int seenFrames = countFrames(lastId);
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seenFrames < expectedFrames) {
                assertTrue(System.nanoTime() < deadline, "§6.6: reading resumes after put; frames " + seenFrames + "/" + expectedFrames);
                Message m = server.waitReceive(Duration.ofMillis(100));
                if (m == null) {
                    continue;
                }
                boolean frame = m.origin() == Origin.APPLICATION;
                observe(m, lastId, starved, poolEmpties);
                m.close();
                if (frame) {
                    seenFrames++;
                }
            }
            assertTrue(frames <= CHANNELS);
            assertEquals(CHANNELS, lastId.size(), "every channel delivered its frames");
            for (long last : lastId.values()) {
                assertEquals(0, last % 1000 - REQUESTS, "§6.8: each channel's frames arrived complete and in order");
            }
            for (var e : poolEmpties.entrySet()) {
                assertTrue(e.getValue() <= 1 + REQUESTS + 1, "§6.6: pool_empty per channel bounded by its frames, channel "
                        + e.getKey() + " got " + e.getValue());
            }

            for (int ch : clientChannels) {
                Probe.byeSignal(pa, client, ch);
            }
            Probe.awaitCloseSignals(client, clientChannels.stream().mapToInt(Integer::intValue).toArray());
            Probe.awaitCloseSignals(server, lastId.keySet().stream().mapToInt(Integer::intValue).toArray());
            Probe.closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(tiny);
            NoLeaks.assertAtRest(peer);
        }
    }

    private static int countFrames(Map<Integer, Long> lastId) {
        int n = 0;
        for (long id : lastId.values()) {
            n += (int) (id % 1000) + 1; // hello = base (0) … request k = base + k
        }
        return n;
    }

    /** Checks per-channel order and the one-pool_empty-per-episode rule (§6.6) for one message. */
    private static void observe(Message m, Map<Integer, Long> lastId, Map<Integer, Boolean> starved, Map<Integer, Integer> poolEmpties) {
        int ch = m.channel();
        if (m.origin() == Origin.ENGINE) {
            assertEquals(Status.POOL_EMPTY, m.status(), "only pool_empty Signals expected from the engine, got " + m);
            assertEquals(OpCode.SIGNAL, m.opCode());
            assertEquals(0L, m.messageId(), "§6.6: message id 0");
            assertFalse(starved.getOrDefault(ch, false),
                    "§6.6 / §9 item 16: a second pool_empty for channel " + ch + " without a frame read in between");
            starved.put(ch, true);
            poolEmpties.merge(ch, 1, Integer::sum);
            return;
        }
        starved.put(ch, false);
        Long prev = lastId.get(ch);
        if (prev == null) {
            assertEquals(OpCode.HELLO_REQUEST, m.opCode(), "§6.8: the HelloRequest is the channel's first frame");
            assertEquals(0, m.messageId() % 1000);
        } else {
            assertEquals(prev + 1, m.messageId(), "§6.8: frames of a channel arrive in order, none lost");
            assertEquals("data " + m.messageId(), Probe.text(m));
        }
        lastId.put(ch, m.messageId());
    }
}
