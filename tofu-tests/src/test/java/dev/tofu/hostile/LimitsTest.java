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
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resource limits: the per-channel outbound limit (Options.withMaxOutboundPerChannel — a post past
 * it fails with SEND_FAILED and the message stays with the caller, so memory stays bounded against a
 * peer that never reads) and the channel limits (withMaxChannels, withMaxChannelsPerListener —
 * connections past them are closed at once, counted in ReactorStats.refusedConnections, and the
 * listener keeps accepting).
 */
@Timeout(90)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class LimitsTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void postsPastTheOutboundLimitFailWithSendFailedAndStayWithTheCaller(Transport t) throws Exception {
        int limit = 8;
        try (TimeoutsTest.StalledPeer peer = TimeoutsTest.StalledPeer.open(t);
             Reactor client = Reactor.create(Options.of(16, 1024).withMaxOutboundPerChannel(limit))) {
            Ampe a = client.ampe();
            ChannelGroup g = a.create();
            int ch = Wire.hello(a, g, peer.clientAddress()).channel();
            byte[] body = new byte[60_000];
            int accepted = 0;
            Message refused = null;
            for (int i = 1; i <= 1000 && refused == null; i++) { // 60 MB if nothing were refused
                Message m = a.get(AllocationStrategy.ALWAYS);
                m.opCode(OpCode.REQUEST).channel(ch).messageId(i).body().append(body);
                try {
                    g.post(m);
                    accepted++;
                } catch (TofuException e) {
                    assertEquals(Status.SEND_FAILED, e.status(), "the outbound limit's status: " + e.getMessage());
                    assertTrue(e.getMessage().contains("maxOutboundPerChannel"), e.getMessage());
                    refused = m;
                }
            }
            assertTrue(refused != null, "a peer that never reads makes posts fail once " + limit + " wait");
            // the writer may still be draining into the socket buffers: keep offering the refused message
            // until the writer has stalled (nothing written for 500 ms) and the post is still refused
            long deadline = System.nanoTime() + Wire.WAIT.toNanos();
            long lastOut = -1;
            long stableSince = System.nanoTime();
            while (true) {
                assertTrue(System.nanoTime() < deadline, "the writer never stalled");
                long out = client.stats().messagesOut();
                if (out != lastOut) {
                    lastOut = out;
                    stableSince = System.nanoTime();
                }
                try {
                    g.post(refused);
                    accepted++;
                    refused = a.get(AllocationStrategy.ALWAYS);
                    refused.opCode(OpCode.REQUEST).channel(ch).messageId(10_000 + accepted).body().append(body);
                } catch (TofuException e) {
                    assertEquals(Status.SEND_FAILED, e.status());
                    if (System.nanoTime() - stableSince > Duration.ofMillis(500).toNanos()) {
                        break;
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(10).toNanos()); // pacing
                }
            }
            assertTrue(accepted < 1000 && accepted >= limit, "memory stays bounded: accepted " + accepted);
            // the refused message is still the caller's: it can be changed and posted again later
            refused.body().append(new byte[] {1});
            Message again = refused;
            TofuException second = assertThrows(TofuException.class, () -> g.post(again), "still full");
            assertEquals(Status.SEND_FAILED, second.status());
            // a ByeSignal is never refused for room: the channel can always be closed
            Probe.byeSignal(a, g, ch);
            List<Message> bundle = Wire.collectUntil(g, m -> Wire.isCloseSignal(m, ch));
            try {
                List<Message> returned = bundle.stream().filter(m -> m.opCode() == OpCode.REQUEST).toList();
                assertTrue(returned.size() <= limit + 32,
                        "at most the limit waited, plus the writer's batch in progress (32): " + returned.size());
                for (Message m : returned) {
                    assertEquals(Origin.ENGINE, m.origin());
                }
                assertEquals(accepted + 1, client.stats().messagesOut() + returned.size(),
                        "every accepted post was written or returned");
            } finally {
                Probe.closeAll(bundle);
            }
            refused.close();
            NoLeaks.assertAtRest(client);
        }
    }

    @Test
    void theOutboundLimitIsBoundedByDefaultAndValidated() {
        assertEquals(Options.DEFAULT_MAX_OUTBOUND_PER_CHANNEL, Options.DEFAULT.maxOutboundPerChannel());
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withMaxOutboundPerChannel(0));
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withMaxChannels(-1));
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withMaxChannelsPerListener(-1));
        assertEquals(0, Options.DEFAULT.maxChannels(), "no channel limit by default");
        assertEquals(0, Options.DEFAULT.maxChannelsPerListener());
        assertEquals(3, Options.DEFAULT.withMaxChannelsPerListener(3).maxChannelsPerListener());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectionsPastTheListenerLimitAreRefusedAndTheListenerKeepsAccepting(Transport t) throws Exception {
        int limit = 3;
        try (EchoServer server = new EchoServer(t, Options.DEFAULT.withMaxChannelsPerListener(limit))) {
            List<Raw> admitted = new ArrayList<>();
            try {
                for (int i = 0; i < limit; i++) {
                    Raw r = Raw.connect(server.clientAddress);
                    admitted.add(r);
                    r.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 100 + i, ""));
                    assertEquals(OpCode.HELLO_RESPONSE.code(), r.readFrame(Wire.WAIT).proto(), "within the limit");
                }
                for (int i = 0; i < 5; i++) {
                    try (Raw extra = Raw.connect(server.clientAddress)) {
                        extra.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 200 + i, ""));
                        assertTrue(extra.awaitPeerClose(Wire.WAIT), "a connection past the limit is closed at once");
                    } catch (java.io.IOException e) {
                        // the write may already meet the reset: refused either way
                    }
                }
                Probe.awaitTrue(() -> server.reactor.stats().refusedConnections() == 5, Wire.WAIT,
                        "refused connections are counted: " + server.reactor.stats());
                assertTrue(server.matching(e -> e.id() >= 200).isEmpty(), "a refused connection never reaches the application");
                assertEquals(limit, server.reactor.stats().openServers());
                // a channel closes: its slot is free again
                admitted.remove(0).close();
                Probe.awaitTrue(() -> server.reactor.stats().openServers() == limit - 1, Wire.WAIT, "the closed channel is gone");
                Raw late = Raw.connect(server.clientAddress);
                admitted.add(late);
                late.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 300, ""));
                assertEquals(OpCode.HELLO_RESPONSE.code(), late.readFrame(Wire.WAIT).proto(), "the listener accepts again");
                for (Raw r : admitted) {
                    r.write(Raw.frame(1, OpCode.REQUEST.code(), 400, "x"));
                    assertEquals(400, r.readFrame(Wire.WAIT).messageId(), "admitted channels were never disturbed");
                }
            } finally {
                admitted.forEach(Raw::close);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theReactorLimitCountsClientAndAcceptedChannelsAndRefusesHelloPostsCleanly(Transport t) throws Exception {
        try (EchoServer peer = new EchoServer(t, Options.DEFAULT);
             Reactor r = Reactor.create(Options.DEFAULT.withMaxChannels(2))) {
            Ampe a = r.ampe();
            ChannelGroup g = a.create();
            Wire.Listener l = Wire.listen(a, g, t.serverAddress()); // listeners do not count
            int c1 = Wire.hello(a, g, peer.clientAddress).channel();
            Message h1 = Wire.await(g, m -> m.channel() == c1);
            assertEquals(Status.SUCCESS, h1.status());
            h1.close();
            try (Raw in = Raw.connect(l.clientAddress())) { // the second channel: accepted
                in.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 7, ""));
                Message hello = Wire.await(g, m -> m.opCode() == OpCode.HELLO_REQUEST);
                int accepted = hello.channel();
                hello.close();
                Message third = a.get(AllocationStrategy.ALWAYS);
                peer.clientAddress.format(third);
                TofuException e = assertThrows(TofuException.class, () -> g.post(third), "a third channel is over the limit");
                assertEquals(Status.ALLOCATION_FAILED, e.status());
                assertTrue(e.getMessage().contains("maxChannels"), e.getMessage());
                try (Raw over = Raw.connect(l.clientAddress())) {
                    assertTrue(over.awaitPeerClose(Wire.WAIT), "an accept over the reactor limit is closed at once");
                }
                Probe.awaitTrue(() -> r.stats().refusedConnections() == 1, Wire.WAIT, "counted");
                // free one: the refused HelloRequest (still the caller's) now goes through
                Probe.byeSignal(a, g, accepted);
                Probe.awaitCloseSignals(g, accepted);
                int c3 = g.post(third).channel();
                Message h3 = Wire.await(g, m -> m.channel() == c3 && m.opCode() == OpCode.HELLO_RESPONSE);
                assertEquals(Status.SUCCESS, h3.status(), "a freed slot is usable again");
                h3.close();
                Probe.byeSignal(a, g, c3);
                Probe.awaitCloseSignals(g, c3);
            }
        }
    }
}
