package dev.tofu.e2e;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing a connection (PROTOCOL.md §5.5, §5.6): graceful Bye both ways, abortive ByeSignal and its
 * close bundle, rejects, simultaneous ByeRequests and the ByeResponse safety close.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EngineClosingTest {
    private static final int BIG = 64_000;
    private static final int MANY = 150;

    /** A connected pair in two groups of one reactor. */
    private record Pair(Ampe ampe, ChannelGroup server, ChannelGroup client, int listener, int cch, int sch, long helloId) {
        static Pair open(Reactor reactor, Transport transport) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            BinaryHeader h = Wire.hello(ampe, client, l.clientAddress());
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.opCode(OpCode.HELLO_RESPONSE);
            server.post(hello);
            Wire.await(client, m -> m.opCode() == OpCode.HELLO_RESPONSE).close();
            return new Pair(ampe, server, client, l.channel(), h.channel(), sch, h.messageId());
        }
    }

    private static void assertExactlyOneCloseSignalLast(List<Message> got, int channel, String spec) {
        long closes = got.stream().filter(m -> Wire.isCloseSignal(m, channel)).count();
        assertEquals(1, closes, spec + ": exactly one close Signal: " + got);
        assertTrue(Wire.isCloseSignal(got.get(got.size() - 1), channel), spec + ": the close Signal comes last");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void clientInitiatedGracefulCloseDeliversEarlierPostsAndReturnsLaterOnes(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Pair p = Pair.open(reactor, transport);
            Wire.send(p.ampe, p.client, p.cch, OpCode.REQUEST, 1, "before 1");
            Wire.send(p.ampe, p.client, p.cch, OpCode.SIGNAL, 2, "before 2");
            BinaryHeader bye = Wire.send(p.ampe, p.client, p.cch, OpCode.BYE_REQUEST, 3, null);
            Wire.send(p.ampe, p.client, p.cch, OpCode.REQUEST, 4, "after 1");
            Wire.send(p.ampe, p.client, p.cch, OpCode.REQUEST, 5, "after 2");

            List<Message> atServer = Wire.collectUntil(p.server, m -> m.opCode() == OpCode.BYE_REQUEST);
            assertEquals(List.of(1L, 2L, 3L), atServer.stream().map(Message::messageId).toList(),
                    "§5.5.1: everything posted before the ByeRequest is delivered, in order; nothing after it");
            Message byeAtServer = atServer.get(2);
            assertEquals(Origin.APPLICATION, byeAtServer.origin(), "§5.5.1: B receives the ByeRequest with origin application");
            atServer.subList(0, 2).forEach(Message::close);
            byeAtServer.opCode(OpCode.BYE_RESPONSE);
            p.server.post(byeAtServer);

            List<Message> atClient = Wire.collectUntil(p.client, m -> Wire.isCloseSignal(m, p.cch));
            assertExactlyOneCloseSignalLast(atClient, p.cch, "§5.5.1");
            assertEquals(OpCode.BYE_RESPONSE, atClient.get(0).opCode(), "§5.5.1: A receives the ByeResponse first");
            assertEquals(bye.messageId(), atClient.get(0).messageId(), "§5.5.1: reusing the message keeps the id");
            assertEquals(Origin.APPLICATION, atClient.get(0).origin(), "§5.5.1: origin application");
            List<Message> returned = atClient.subList(1, atClient.size() - 1);
            assertEquals(List.of(4L, 5L), returned.stream().map(Message::messageId).toList(),
                    "§5.5.1 / §8: messages posted after the ByeRequest come back, in order, before the close Signal");
            for (Message r : returned) {
                assertEquals(Origin.ENGINE, r.origin(), "§5.6: returned messages have origin engine");
                assertEquals(Status.CHANNEL_CLOSED, r.status(), "§5.5.1: reason channel_closed");
            }
            assertEquals(p.helloId, atClient.get(atClient.size() - 1).messageId(), "§5.6: close Signal carries the channel message id");
            Probe.closeAll(atClient);

            List<Message> serverEnd = Wire.collectUntil(p.server, m -> Wire.isCloseSignal(m, p.sch));
            assertExactlyOneCloseSignalLast(serverEnd, p.sch, "§5.5.1: B's channel closes when A closes");
            Probe.closeAll(serverEnd);
            Probe.assertNothingMoreFor(p.client, p.cch, Duration.ofMillis(100), "§5.6");
            Probe.assertNothingMoreFor(p.server, p.sch, Duration.ofMillis(100), "§5.6");
            Probe.closeListener(p.ampe, p.server, p.listener);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void serverInitiatedGracefulCloseEndsWithOneCloseSignalOnEachSide(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Pair p = Pair.open(reactor, transport);
            Wire.send(p.ampe, p.server, p.sch, OpCode.SIGNAL, 11, "last words");
            BinaryHeader bye = Wire.send(p.ampe, p.server, p.sch, OpCode.BYE_REQUEST, 0, null);
            List<Message> atClient = Wire.collectUntil(p.client, m -> m.opCode() == OpCode.BYE_REQUEST);
            assertEquals(2, atClient.size(), "§5.5.1: data before the ByeRequest arrives first: " + atClient);
            assertEquals(11L, atClient.get(0).messageId());
            atClient.get(0).close();
            Message b = atClient.get(1);
            b.opCode(OpCode.BYE_RESPONSE);
            p.client.post(b);

            List<Message> atServer = Wire.collectUntil(p.server, m -> Wire.isCloseSignal(m, p.sch));
            assertExactlyOneCloseSignalLast(atServer, p.sch, "§5.5.1");
            assertEquals(OpCode.BYE_RESPONSE, atServer.get(0).opCode(), "§5.5.1: the initiator receives the ByeResponse");
            assertEquals(bye.messageId(), atServer.get(0).messageId());
            assertEquals(p.helloId, atServer.get(atServer.size() - 1).messageId(), "§5.4/§5.6: server channel id = first frame's id");
            Probe.closeAll(atServer);
            List<Message> clientEnd = Wire.collectUntil(p.client, m -> Wire.isCloseSignal(m, p.cch));
            assertExactlyOneCloseSignalLast(clientEnd, p.cch, "§5.5.1: the responder's channel closes too");
            Probe.closeAll(clientEnd);
            Probe.closeListener(p.ampe, p.server, p.listener);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void byeSignalReturnsItselfThenUnsentMessagesInOrderThenOneCloseSignal(Transport transport) throws Exception {
        try (Raw.Server peer = new Raw.Server(transport == Transport.TCP, 4096);
             Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            BinaryHeader hello = Wire.hello(ampe, g, peer.clientAddress());
            int ch = hello.channel();
            try (Raw accepted = peer.accept()) { // never reads
                byte[] big = new byte[BIG];
                for (int i = 1; i <= MANY; i++) {
                    Message m = ampe.get(AllocationStrategy.ALWAYS);
                    m.opCode(OpCode.REQUEST).channel(ch).messageId(i).body().append(big);
                    g.post(m);
                }
                BinaryHeader bye = Probe.byeSignal(ampe, g, ch);
                List<Message> bundle = Wire.collectUntil(g, m -> Wire.isCloseSignal(m, ch));
                Message first = bundle.get(0);
                assertEquals(OpCode.BYE_SIGNAL, first.opCode(), "§5.5.2: the ByeSignal comes back first: " + first);
                assertEquals(Origin.ENGINE, first.origin(), "§5.5.2: origin engine");
                assertEquals(Status.CHANNEL_CLOSED, first.status(), "§5.5.2: status channel_closed");
                assertEquals(bye.messageId(), first.messageId(), "§5.5.2: its own message id");
                List<Message> unsent = bundle.subList(1, bundle.size() - 1);
                if (!unsent.isEmpty() && unsent.get(0).opCode() == OpCode.HELLO_REQUEST) {
                    // the writer had not written even the HelloRequest yet: it is unsent too, first in queue order
                    assertEquals(hello.messageId(), unsent.get(0).messageId(), "§5.6: the unsent HelloRequest comes back first");
                    unsent = unsent.subList(1, unsent.size());
                }
                assertFalse(unsent.isEmpty(), "§5.5.2: a peer that never reads leaves messages unsent");
                long expect = MANY - unsent.size() + 1;
                for (Message m : unsent) {
                    assertEquals(expect++, m.messageId(), "§5.5.2 / §5.6: unsent messages in queue order (the tail of what was posted)");
                    assertEquals(Origin.ENGINE, m.origin(), "§5.6: origin engine");
                    assertEquals(Status.CHANNEL_CLOSED, m.status(), "§5.5.2: reason channel_closed");
                    assertEquals(BIG, m.body().length(), "§5.6: returned unchanged (a partly written one too)");
                }
                assertExactlyOneCloseSignalLast(bundle, ch, "§5.6");
                assertEquals(hello.messageId(), bundle.get(bundle.size() - 1).messageId(),
                        "§5.6: close Signal message id = the channel message id (the HelloRequest's)");
                Probe.closeAll(bundle);
                assertTrue(accepted.awaitPeerClose(Wire.WAIT), "§5.5.2: the socket is reset; the peer sees a disconnect");
            }
            Probe.assertNothingMoreFor(g, ch, Duration.ofMillis(100), "§5.6");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void thePeerOfAnAbortiveCloseReturnsItsUnsentMessagesWithPeerDisconnected(Transport transport) {
        try (Reactor srv = Reactor.create(Options.DEFAULT);
             Reactor cli = Reactor.create(Options.DEFAULT.withReceiveQueueCapacity(1))) {
            Ampe sa = srv.ampe();
            ChannelGroup server = sa.create();
            Wire.Listener l = Wire.listen(sa, server, transport.serverAddress());
            Ampe ca = cli.ampe();
            ChannelGroup client = ca.create();
            int cch = Wire.hello(ca, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();
            byte[] big = new byte[BIG];
            for (int i = 1; i <= MANY; i++) { // the client app does not read: the server's queue backs up
                Message m = sa.get(AllocationStrategy.ALWAYS);
                m.opCode(OpCode.SIGNAL).channel(sch).messageId(i).body().append(big);
                server.post(m);
            }
            Probe.byeSignal(ca, client, cch);
            List<Message> serverEnd = Wire.collectUntil(server, m -> Wire.isCloseSignal(m, sch));
            List<Message> returned = serverEnd.subList(0, serverEnd.size() - 1);
            assertFalse(returned.isEmpty(), "§5.5.2: the peer had unsent messages");
            long expect = MANY - returned.size() + 1;
            for (Message m : returned) {
                assertEquals(expect++, m.messageId(), "§5.6: unsent messages in queue order");
                assertEquals(Origin.ENGINE, m.origin(), "§5.6: origin engine");
                assertEquals(Status.PEER_DISCONNECTED, m.status(), "§5.5.2 / §9 item 10: the peer's reason is peer_disconnected");
            }
            assertExactlyOneCloseSignalLast(serverEnd, sch, "§5.5.2: the peer gets its close Signal");
            Probe.closeAll(serverEnd);
            List<Message> clientEnd = Wire.collectUntil(client, m -> Wire.isCloseSignal(m, cch));
            assertTrue(clientEnd.stream().anyMatch(m -> m.opCode() == OpCode.BYE_SIGNAL && m.origin() == Origin.ENGINE),
                    "§5.5.2: the ByeSignal comes back");
            assertExactlyOneCloseSignalLast(clientEnd, cch, "§5.6");
            Probe.closeAll(clientEnd);
            Probe.closeListener(sa, server, l.channel());
            NoLeaks.assertAtRest(srv);
            NoLeaks.assertAtRest(cli);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void serverRejectsWithByeSignalAndTheClientGetsOnlyItsCloseSignal(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            BinaryHeader h = Wire.hello(ampe, client, l.clientAddress());
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.opCode(OpCode.BYE_SIGNAL);
            server.post(hello);
            List<Message> serverEnd = Wire.collectUntil(server, m -> Wire.isCloseSignal(m, sch));
            assertEquals(2, serverEnd.size(), "§5.5.4: server gets its ByeSignal back + close Signal: " + serverEnd);
            assertEquals(OpCode.BYE_SIGNAL, serverEnd.get(0).opCode());
            assertEquals(Status.CHANNEL_CLOSED, serverEnd.get(0).status());
            Probe.closeAll(serverEnd);
            List<Message> clientEnd = Wire.collectUntil(client, m -> Wire.isCloseSignal(m, h.channel()));
            assertTrue(clientEnd.stream().noneMatch(m -> m.opCode() == OpCode.HELLO_RESPONSE),
                    "§5.5.4: no HelloResponse on a ByeSignal reject: " + clientEnd);
            for (Message m : clientEnd.subList(0, clientEnd.size() - 1)) {
                assertEquals(Status.PEER_DISCONNECTED, m.status(), "§5.5.4: client's unsent messages have reason peer_disconnected");
            }
            assertExactlyOneCloseSignalLast(clientEnd, h.channel(), "§5.5.4");
            Probe.closeAll(clientEnd);
            Probe.closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void serverRejectsWithAByeResponseCarryingAReasonAndBothChannelsClose(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            BinaryHeader h = Wire.hello(ampe, client, l.clientAddress());
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.headers().clear();
            hello.headers().append("reason", "server full");
            hello.opCode(OpCode.BYE_RESPONSE);
            server.post(hello);
            List<Message> clientEnd = Wire.collectUntil(client, m -> Wire.isCloseSignal(m, h.channel()));
            Message resp = clientEnd.get(0);
            assertEquals(OpCode.BYE_RESPONSE, resp.opCode(), "§5.5.4: the client receives the ByeResponse");
            assertEquals(Origin.APPLICATION, resp.origin(), "§5.5.4: origin application");
            assertEquals(h.channel(), resp.channel(), "§5.5.4: on the client's channel");
            assertEquals(h.messageId(), resp.messageId(), "§5.5.4: with the HelloRequest's id");
            assertEquals("server full", resp.headers().get("reason"), "§5.5.4: the reason header arrives");
            assertExactlyOneCloseSignalLast(clientEnd, h.channel(), "§5.5.4: then the client's engine closes the channel");
            Probe.closeAll(clientEnd);
            List<Message> serverEnd = Wire.collectUntil(server, m -> Wire.isCloseSignal(m, sch));
            assertExactlyOneCloseSignalLast(serverEnd, sch, "§5.5.4: the server's channel closes when the client's socket closes");
            Probe.closeAll(serverEnd);
            Probe.closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void simultaneousByeRequestsAnsweredByByeResponsesCloseBothSidesWithoutDeadlock(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Pair p = Pair.open(reactor, transport);
            long t0 = System.nanoTime();
            Wire.send(p.ampe, p.client, p.cch, OpCode.BYE_REQUEST, 0, null);
            Wire.send(p.ampe, p.server, p.sch, OpCode.BYE_REQUEST, 0, null);
            CompletableFuture<List<Message>> serverSide = CompletableFuture.supplyAsync(
                    () -> answerByesUntilClosed(p.server, p.sch), r -> Thread.ofVirtual().start(r));
            List<Message> clientSide = answerByesUntilClosed(p.client, p.cch);
            List<Message> serverGot = serverSide.get(Wire.WAIT.toSeconds(), TimeUnit.SECONDS);
            long took = System.nanoTime() - t0;
            assertTrue(took < TimeUnit.SECONDS.toNanos(4), "§5.5.4: simultaneous ByeRequests close promptly, not by the 5 s safety close; took "
                    + TimeUnit.NANOSECONDS.toMillis(took) + " ms");
            assertExactlyOneCloseSignalLast(clientSide, p.cch, "§5.5.4");
            assertExactlyOneCloseSignalLast(serverGot, p.sch, "§5.5.4");
            Probe.closeAll(clientSide);
            Probe.closeAll(serverGot);
            Probe.closeListener(p.ampe, p.server, p.listener);
            NoLeaks.assertAtRest(reactor);
        }
    }

    /** Answers every ByeRequest on {@code ch} with a ByeResponse; returns everything else up to the close Signal. */
    private static List<Message> answerByesUntilClosed(ChannelGroup g, int ch) {
        List<Message> got = new ArrayList<>();
        long deadline = System.nanoTime() + Wire.WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("§5.5.4: no close Signal within " + Wire.WAIT + " (deadlock?); got " + got);
            }
            Message m = g.waitReceive(Duration.ofNanos(left));
            if (m == null) {
                continue;
            }
            if (m.opCode() == OpCode.BYE_REQUEST && m.origin() == Origin.APPLICATION) {
                m.opCode(OpCode.BYE_RESPONSE);
                try {
                    g.post(m);
                } catch (TofuException e) { // the channel may already be gone (§9 item 5)
                    assertEquals(Status.INVALID_CHANNEL_NUMBER, e.status(), "§9 item 5: post racing a close");
                    m.close();
                }
                continue;
            }
            got.add(m);
            if (Wire.isCloseSignal(m, ch)) {
                return got;
            }
        }
    }

    @Test
    void theByeResponseSenderClosesBy5SecondsWhenThePeerNeverCloses() throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            // both transports at once, to pay for the 5 s wait only once
            Wire.Listener tcp = Wire.listen(ampe, g, Transport.TCP.serverAddress());
            Wire.Listener uds = Wire.listen(ampe, g, Transport.UDS.serverAddress());
            List<Raw> peers = List.of(Raw.connect(tcp.clientAddress()), Raw.connect(uds.clientAddress()));
            try {
                for (int i = 0; i < peers.size(); i++) {
                    peers.get(i).write(Raw.frame(7, OpCode.BYE_REQUEST.code(), 900 + i, ""));
                }
                int[] sch = new int[2];
                for (int i = 0; i < 2; i++) {
                    Message bye = Wire.await(g, m -> m.opCode() == OpCode.BYE_REQUEST);
                    sch[(int) bye.messageId() - 900] = bye.channel();
                    bye.opCode(OpCode.BYE_RESPONSE);
                    g.post(bye);
                }
                long[] answered = new long[2];
                for (int i = 0; i < 2; i++) {
                    Raw.Frame f = peers.get(i).readFrame(Wire.WAIT);
                    answered[i] = System.nanoTime();
                    assertEquals(OpCode.BYE_RESPONSE.code(), f.opCode(), "§5.5.1: the peer receives the ByeResponse");
                    assertEquals(900 + i, f.messageId());
                }
                for (int done = 0; done < 2; done++) {
                    Message close = Wire.await(g, m -> m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED
                            && (m.channel() == sch[0] || m.channel() == sch[1]));
                    int i = close.channel() == sch[0] ? 0 : 1;
                    long after = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - answered[i]);
                    assertTrue(after >= 4_000 && after <= 8_000,
                            "§5.5.1: the ByeResponse sender closes about 5 s after writing it, took " + after + " ms");
                    assertEquals(900 + i, close.messageId(), "§5.6: close Signal carries the first frame's id");
                    close.close();
                }
                for (Raw r : peers) {
                    assertTrue(r.awaitPeerClose(Wire.WAIT), "§5.5.1: the safety close closes the socket");
                }
                Probe.assertNothingMoreFor(g, sch[0], Duration.ofMillis(100), "§5.6");
            } finally {
                peers.forEach(Raw::close);
            }
            Probe.closeListener(ampe, g, tcp.channel());
            Probe.closeListener(ampe, g, uds.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }
}
