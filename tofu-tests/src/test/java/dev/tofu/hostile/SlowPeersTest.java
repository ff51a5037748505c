package dev.tofu.hostile;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.ReactorStats;
import dev.tofu.Status;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow and stalled peers (PROTOCOL.md §1.7, §6.6, §6.8).
 *
 * <p>Slowloris: tofu has <b>no receive timeout by default</b> (§5.3: no connect timeout, no
 * auto-close; the opt-in timeouts are tested in TimeoutsTest), so a peer that sends half a header and stops
 * holds its channel — and one socket and two virtual threads — until it closes or the application
 * closes the channel (ByeSignal). Every other channel keeps working meanwhile.
 *
 * <p>A receiver that never calls waitReceive: the bounded group queue
 * ({@link Options#withReceiveQueueCapacity}) fills, the channel's reader waits, TCP/UDS flow control
 * stops the sender's writer, and the sender's unsent messages stay in its own outbox. Nothing is
 * dropped: once the receiver drains, every message arrives, in order.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class SlowPeersTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void slowlorisPeersThatStopMidHeaderJustWaitWhileOtherChannelsWork(Transport t) throws Exception {
        int peers = 10;
        try (EchoServer server = new EchoServer(t, Options.DEFAULT); HealthyClient healthy = new HealthyClient(server.clientAddress)) {
            List<Raw> slow = new ArrayList<>();
            try {
                List<Integer> channels = new ArrayList<>();
                for (int i = 0; i < peers; i++) {
                    Raw raw = Raw.connect(server.clientAddress);
                    slow.add(raw);
                    long id = 7000 + i;
                    raw.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), id, ""));
                    channels.add(server.await(e -> e.id() == id, Wire.WAIT, "hello " + id).channel());
                    byte[] next = Raw.frame(1, OpCode.REQUEST.code(), 8000 + i, "late " + i);
                    raw.write(Arrays.copyOf(next, 8)); // half a header, then silence
                }
                healthy.awaitMoreRounds(200); // plenty of traffic while 10 channels sit mid-header
                ReactorStats stats = server.reactor.stats();
                assertEquals(peers + 1, stats.openServers(),
                        "no timeout by default: the stalled channels stay open (plus the healthy one)");
                for (int ch : channels) {
                    assertTrue(server.matching(e -> e.channel() == ch && e.isCloseSignal()).isEmpty(),
                            "a stalled peer is not closed by the engine");
                }
                // the stalled channels were only waiting: the rest of the frame completes it
                for (int i = 0; i < peers; i++) {
                    byte[] next = Raw.frame(1, OpCode.REQUEST.code(), 8000 + i, "late " + i);
                    slow.get(i).write(Arrays.copyOfRange(next, 8, next.length));
                    long id = 8000 + i;
                    EchoServer.Event e = server.await(x -> x.id() == id, Wire.WAIT, "the completed frame " + id);
                    assertEquals(channels.get(i), e.channel(), "§1.7: read across as many reads as needed");
                    assertEquals("late " + i, e.body());
                }
            } finally {
                slow.forEach(Raw::close);
            }
            healthy.awaitMoreRounds(10);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aReceiverThatNeverReadsThrottlesTheSenderIntoItsOutboxAndLosesNothing(Transport t) {
        int queueCapacity = 4;
        int messages = 600;
        int bodySize = 60_000; // 36 MB in all: far more than the loopback socket buffers hold
        try (Reactor receiver = Reactor.create(Options.of(16, 1024).withReceiveQueueCapacity(queueCapacity));
             Reactor sender = Reactor.create(Options.of(16, 1024))) {
            Ampe ra = receiver.ampe();
            ChannelGroup rg = ra.create();
            Wire.Listener l = Wire.listen(ra, rg, t.serverAddress());
            Ampe sa = sender.ampe();
            ChannelGroup sg = sa.create();
            int cch = Wire.hello(sa, sg, l.clientAddress()).channel();
            byte[] body = new byte[bodySize];
            for (int i = 1; i <= messages; i++) {
                Message m = sa.get(AllocationStrategy.ALWAYS);
                m.opCode(OpCode.REQUEST).channel(cch).messageId(i);
                ByteBuffer.wrap(body).putInt(i);
                m.body().append(body);
                sg.post(m); // never blocks: §6.8 post only enqueues
            }
            // the receiver does not call waitReceive: its queue fills and its reader waits
            Probe.awaitTrue(() -> receiver.stats().groupQueueDepths().contains(queueCapacity), Wire.WAIT,
                    "the receiver's group queue fills to its capacity " + queueCapacity);
            // the sender is throttled by flow control: wait until its writer stops making progress
            long[] last = {-1};
            long[] stableSince = {System.nanoTime()};
            Probe.awaitTrue(() -> {
                long out = sender.stats().messagesOut();
                if (out != last[0]) {
                    last[0] = out;
                    stableSince[0] = System.nanoTime();
                    return false;
                }
                return System.nanoTime() - stableSince[0] > Duration.ofMillis(300).toNanos();
            }, Wire.WAIT, "the sender's writer stalls");
            long written = sender.stats().messagesOut();
            assertTrue(written < messages - 10, "§6.6 / §1.7: with the receiver stalled, the sender cannot write everything: "
                    + written + " of " + messages + " frames left its outbox");
            assertTrue(receiver.stats().groupQueueDepths().stream().allMatch(d -> d <= queueCapacity),
                    "the bounded queue never grows past its capacity: " + receiver.stats().groupQueueDepths());
            assertEquals(1, sender.stats().openClients(), "a throttled channel is not closed");

            // drain: every message arrives, in order, nothing dropped
            int next = 0; // 0 = the HelloRequest
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (next <= messages) {
                assertTrue(System.nanoTime() < deadline, "drain stalled at " + next);
                Message m = rg.waitReceive(Duration.ofMillis(200));
                if (m == null) {
                    continue;
                }
                try {
                    if (next == 0) {
                        assertEquals(OpCode.HELLO_REQUEST, m.opCode());
                    } else {
                        assertEquals(OpCode.REQUEST, m.opCode(), "only data frames expected, got " + m);
                        assertEquals(next, m.messageId(), "§6.8: delivered in order, nothing dropped");
                        assertEquals(bodySize, m.body().length());
                        assertEquals(next, m.body().asReadOnlyBuffer().getInt(), "body intact");
                    }
                } finally {
                    m.close();
                }
                next++;
            }
            Probe.awaitTrue(() -> sender.stats().messagesOut() == messages + 1, Wire.WAIT, "the sender's outbox empties");
            Probe.byeSignal(sa, sg, cch);
            Probe.awaitCloseSignals(sg, cch);
            Message close = Wire.await(rg, m -> m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED);
            close.close();
            Probe.closeListener(ra, rg, l.channel());
            NoLeaks.assertAtRest(receiver);
            NoLeaks.assertAtRest(sender);
        }
    }
}
