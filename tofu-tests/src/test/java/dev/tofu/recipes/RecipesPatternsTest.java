package dev.tofu.recipes;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Status;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipes R20 (application patterns) and R21 (reject at the server), PROTOCOL.md §7 and §5.5.4. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RecipesPatternsTest {
    private static final Duration QUIET = Duration.ofMillis(200);

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20PendingMapMatchesOutOfOrderResponsesByMessageId(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            Map<Long, String> pending = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                String body = "req-" + i;
                pending.put(Wire.send(link.ampe, link.client, c.client(), OpCode.REQUEST, 0, body).messageId(), body);
            }
            assertEquals(10, pending.size(), "R20/§2.2 rule 9: every request gets its own message_id");
            List<Message> received = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                received.add(Wire.await(link.server, m -> m.opCode() == OpCode.REQUEST));
            }
            for (int i = received.size() - 1; i >= 0; i--) {   // answer out of order
                Message m = received.get(i);
                byte[] body = ("re:" + new String(m.body().toByteArray(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                m.opCode(OpCode.RESPONSE).body().clear();
                m.body().append(body);
                link.server.post(m);
            }
            while (!pending.isEmpty()) {
                Message r = Wire.await(link.client, m -> m.opCode() == OpCode.RESPONSE);
                String expected = pending.remove(r.messageId());
                String got = new String(r.body().toByteArray(), StandardCharsets.UTF_8);
                r.close();
                assertNotNull(expected, "R20: each response matches one outstanding request by message_id");
                assertEquals("re:" + expected, got, "R20: the pending entry's request is the one answered");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20ClientStreamsChunksWithMoreAndGetsOneResponse(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            byte[] data = randomBytes(180_000, 1);
            long job = 9001;
            int chunk = 60_000;
            for (int off = 0; off < data.length; off += chunk) {
                Message m = link.ampe.get(dev.tofu.AllocationStrategy.ALWAYS);
                m.opCode(OpCode.REQUEST).channel(c.client()).messageId(job).more(off + chunk < data.length);
                m.body().append(data, off, Math.min(chunk, data.length - off));
                link.client.post(m);
            }
            ByteArrayOutputStream assembled = new ByteArrayOutputStream();
            int chunks = 0;
            while (true) {
                Message m = Wire.await(link.server, x -> x.opCode() == OpCode.REQUEST);
                assertEquals(job, m.messageId(), "R20: every chunk shares the job's message_id");
                assembled.writeBytes(m.body().toByteArray());
                chunks++;
                if (!m.more()) {                        // last chunk: answer once
                    m.opCode(OpCode.RESPONSE).body().clear();
                    m.headers().append("crc", Long.toString(crc(assembled.toByteArray())));
                    link.server.post(m);
                    break;
                }
                m.close();
            }
            assertEquals(3, chunks, "R20: three chunks, the last with more=false");
            Message resp = Wire.await(link.client, x -> x.channel() == c.client());
            assertEquals(OpCode.RESPONSE, resp.opCode(), "R20: a single Response ends the stream");
            assertEquals(Long.toString(crc(data)), resp.headers().get("crc"), "R20: reassembled bytes match (CRC32)");
            resp.close();
            assertNull(link.client.waitReceive(QUIET), "R20: nothing follows the single Response");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20ServerStreamsResponsesWithMoreToTheClient(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            long id = Wire.send(link.ampe, link.client, c.client(), OpCode.REQUEST, 0, "download").messageId();
            Message req = Wire.await(link.server, m -> m.opCode() == OpCode.REQUEST);
            req.close();
            byte[] data = randomBytes(150_000, 2);
            int chunk = 40_000;
            for (int off = 0; off < data.length; off += chunk) {
                Message m = link.ampe.get(dev.tofu.AllocationStrategy.ALWAYS);
                m.opCode(OpCode.RESPONSE).channel(c.server()).messageId(id).more(off + chunk < data.length);
                m.body().append(data, off, Math.min(chunk, data.length - off));
                link.server.post(m);
            }
            ByteArrayOutputStream assembled = new ByteArrayOutputStream();
            boolean more = true;
            while (more) {
                Message m = Wire.await(link.client, x -> x.channel() == c.client());
                assertEquals(OpCode.RESPONSE, m.opCode(), "R20: server→client stream of Responses");
                assertEquals(id, m.messageId(), "R20: every part carries the request's id");
                assembled.writeBytes(m.body().toByteArray());
                more = m.more();
                m.close();
            }
            assertEquals(crc(data), crc(assembled.toByteArray()), "R20: reassembled download matches (CRC32)");
            assertArrayEquals(data, assembled.toByteArray(), "R20");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20ProgressSignalsShareTheJobIdAndPrecedeTheFinalResponse(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            long job = Wire.send(link.ampe, link.client, c.client(), OpCode.REQUEST, 0, "job").messageId();
            Message req = Wire.await(link.server, m -> m.opCode() == OpCode.REQUEST);
            for (int pct : new int[] {25, 50, 75}) {
                Message s = link.ampe.get(dev.tofu.AllocationStrategy.ALWAYS);
                s.opCode(OpCode.SIGNAL).channel(c.server()).messageId(job).headers().append("progress", Integer.toString(pct));
                link.server.post(s);
            }
            link.server.post(req.opCode(OpCode.RESPONSE));
            List<String> seen = new ArrayList<>();
            while (true) {
                Message m = Wire.await(link.client, x -> x.channel() == c.client());
                assertEquals(job, m.messageId(), "R20: progress and result share the job id");
                boolean done = m.opCode() == OpCode.RESPONSE;
                seen.add(done ? "done" : m.opCode() + ":" + m.headers().get("progress"));
                m.close();
                if (done) {
                    break;
                }
            }
            assertEquals(List.of("SIGNAL:25", "SIGNAL:50", "SIGNAL:75", "done"), seen,
                    "R20: progress Signals in order, then the final Response");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20HeartbeatsArriveAndTheReceiveTimeoutReportsASilentPeer(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            for (int beat = 1; beat <= 3; beat++) {
                Wire.send(link.ampe, link.server, c.server(), OpCode.SIGNAL, beat, "hb");
                Message hb = link.client.waitReceive(Wire.WAIT);
                assertNotNull(hb, "R20: heartbeat " + beat + " arrives within the receive timeout");
                assertEquals(OpCode.SIGNAL, hb.opCode(), "R20");
                assertEquals(beat, hb.messageId(), "R20");
                hb.close();
            }
            assertNull(link.client.waitReceive(QUIET), "R20: waitReceive returns null when the peer stops beating");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20ServerKeepsPerClientStateKeyedByChannel(Transport transport) {
        try (Link link = new Link(transport)) {
            List<Link.Conn> conns = List.of(link.connect(), link.connect(), link.connect());
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < conns.size(); i++) {
                    Wire.send(link.ampe, link.client, conns.get(i).client(), OpCode.REQUEST, 0, "client-" + i);
                }
            }
            Map<Integer, List<String>> state = new HashMap<>();
            for (int n = 0; n < 6; n++) {
                Message m = Wire.await(link.server, x -> x.opCode() == OpCode.REQUEST);
                List<String> mine = state.computeIfAbsent(m.channel(), k -> new ArrayList<>());
                mine.add(new String(m.body().toByteArray(), StandardCharsets.UTF_8));
                m.opCode(OpCode.RESPONSE).body().clear();
                m.body().append(Integer.toString(mine.size()).getBytes(StandardCharsets.UTF_8));
                link.server.post(m);
            }
            for (int i = 0; i < conns.size(); i++) {
                assertEquals(List.of("client-" + i, "client-" + i), state.get(conns.get(i).server()),
                        "R20: state keyed by the server channel holds only that client's requests");
            }
            Map<Integer, List<String>> answers = new HashMap<>();
            for (int n = 0; n < 6; n++) {
                Message r = Wire.await(link.client, x -> x.opCode() == OpCode.RESPONSE);
                answers.computeIfAbsent(r.channel(), k -> new ArrayList<>()).add(new String(r.body().toByteArray(), StandardCharsets.UTF_8));
                r.close();
            }
            for (Link.Conn c : conns) {
                assertEquals(List.of("1", "2"), answers.get(c.client()), "R20: each client sees its own counter");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20BatchDrainTakesEverythingQueuedWithWaitReceiveZero(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            for (int i = 1; i <= 20; i++) {
                Wire.send(link.ampe, link.client, c.client(), OpCode.REQUEST, i, null);
            }
            List<Long> ids = new ArrayList<>();
            int batches = 0;
            while (ids.size() < 20) {
                Message first = link.server.waitReceive(Wire.WAIT);       // block for one …
                assertNotNull(first, "R20: requests arrive");
                List<Message> batch = new ArrayList<>(List.of(first));
                Message more;
                while ((more = link.server.waitReceive(Duration.ZERO)) != null) {   // … then drain without waiting
                    batch.add(more);
                }
                if (batch.stream().anyMatch(m -> m.opCode() == OpCode.REQUEST)) {
                    batches++; // a batch of pool_empty Signals alone does not count
                }
                for (Message m : batch) {
                    if (m.opCode() == OpCode.REQUEST) {     // a pool_empty Signal may be in the batch (§6.6): put() refills
                        ids.add(m.messageId());
                    }
                    m.close();
                }
            }
            assertEquals(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList(), ids,
                    "R20: batches drained with waitReceive(0) keep FIFO order and lose nothing");
            assertTrue(batches <= 20, "R20: every batch with a request took at least one: " + batches);
            assertNull(link.server.waitReceive(Duration.ZERO), "R20/§6.5: waitReceive(0) on an empty queue → null at once");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20BidirectionalRequestsOnOneConnection(Transport transport) {
        try (Link link = new Link(transport)) {
            Link.Conn c = link.connect();
            long up = Wire.send(link.ampe, link.client, c.client(), OpCode.REQUEST, 0, "from client").messageId();
            long down = Wire.send(link.ampe, link.server, c.server(), OpCode.REQUEST, 0, "from server").messageId();
            Message atServer = Wire.await(link.server, m -> m.opCode() == OpCode.REQUEST);
            Message atClient = Wire.await(link.client, m -> m.opCode() == OpCode.REQUEST);
            link.server.post(atServer.opCode(OpCode.RESPONSE));
            link.client.post(atClient.opCode(OpCode.RESPONSE));
            Message r1 = Wire.await(link.client, m -> m.opCode() == OpCode.RESPONSE);
            Message r2 = Wire.await(link.server, m -> m.opCode() == OpCode.RESPONSE);
            assertAll(
                    () -> assertEquals(up, r1.messageId(), "R20: the client's request answered by the server"),
                    () -> assertEquals(down, r2.messageId(), "R20: the server's request answered by the client"));
            r1.close();
            r2.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r20GracefulShutdownByeSignalsEveryChannelAndDrainsEveryCloseSignal(Transport transport) {
        try (Link link = new Link(transport)) {
            List<Link.Conn> conns = List.of(link.connect(), link.connect(), link.connect());
            Set<Integer> open = new HashSet<>();
            for (Link.Conn c : conns) {
                Wire.send(link.ampe, link.server, c.server(), OpCode.BYE_SIGNAL, 0, null);
                open.add(c.server());
            }
            List<Message> drained = Wire.collectUntil(link.server, m -> {
                if (m.isFromEngine() && m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED) {
                    open.remove(m.channel());
                }
                return open.isEmpty();
            });
            long returned = drained.stream().filter(m -> m.opCode() == OpCode.BYE_SIGNAL
                    && m.status() == Status.CHANNEL_CLOSED).count();
            drained.forEach(Message::close);
            assertEquals(3, returned, "R20/§5.5.2: every ByeSignal comes back with channel_closed");
            Set<Integer> clientsOpen = new HashSet<>();
            conns.forEach(c -> clientsOpen.add(c.client()));
            Wire.collectUntil(link.client, m -> {
                if (m.isFromEngine() && m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED) {
                    clientsOpen.remove(m.channel());
                }
                return clientsOpen.isEmpty();
            }).forEach(Message::close);
            assertTrue(clientsOpen.isEmpty(), "R20/§5.5.2: every client sees its close Signal");
            Scenarios.closeListener(link.ampe, link.server, link.listener);
            // Link.close(): destroy the groups, assert at rest, close the engine (§6.9 order)
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r21RejectWithByeSignalClosesBothEndsWithoutAHelloResponse(Transport transport) {
        try (Link link = new Link(transport)) {
            int cch = Wire.hello(link.ampe, link.client, link.address).channel();
            Message hello = Wire.await(link.server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            link.server.post(hello.opCode(OpCode.BYE_SIGNAL));
            List<Message> serverEnd = Wire.collectUntil(link.server, m -> Wire.isCloseSignal(m, sch));
            List<Message> clientEnd = Wire.collectUntil(link.client, m -> Wire.isCloseSignal(m, cch));
            try {
                assertAll(
                        () -> assertEquals(OpCode.BYE_SIGNAL, serverEnd.get(0).opCode(), "R21/§5.5.4: the server gets its ByeSignal back"),
                        () -> assertEquals(Status.CHANNEL_CLOSED, serverEnd.get(0).status(), "R21/§5.5.4"),
                        () -> assertEquals(Origin.ENGINE, serverEnd.get(0).origin(), "R21/§5.5.4"),
                        () -> assertFalse(clientEnd.stream().anyMatch(m -> !m.isFromEngine()),
                                "R21/§5.5.4: the client gets no HelloResponse and no reason: " + clientEnd),
                        () -> assertTrue(clientEnd.stream().filter(m -> m.opCode() != OpCode.SIGNAL)
                                        .allMatch(m -> m.status() == Status.PEER_DISCONNECTED),
                                "R21/§5.5.4: unsent messages return with peer_disconnected: " + clientEnd));
            } finally {
                serverEnd.forEach(Message::close);
                clientEnd.forEach(Message::close);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r21RejectWithByeResponseDeliversTheReasonThenClosesBothEnds(Transport transport) {
        try (Link link = new Link(transport)) {
            var h = Wire.hello(link.ampe, link.client, link.address);
            int cch = h.channel();
            Message hello = Wire.await(link.server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.opCode(OpCode.BYE_RESPONSE).headers().clear();
            hello.headers().append("reason", "server full");
            link.server.post(hello);
            List<Message> clientEnd = Wire.collectUntil(link.client, m -> Wire.isCloseSignal(m, cch));
            try {
                Message first = clientEnd.get(0);
                assertAll(
                        () -> assertEquals(OpCode.BYE_RESPONSE, first.opCode(), "R21/§5.5.4: the client receives the ByeResponse"),
                        () -> assertEquals(Origin.APPLICATION, first.origin(), "R21/§5.5.4: origin application"),
                        () -> assertEquals(cch, first.channel(), "R21/§5.5.4: on the client's channel"),
                        () -> assertEquals(h.messageId(), first.messageId(), "R21/§5.5.4: with the HelloRequest's id"),
                        () -> assertEquals("server full", first.headers().get("reason"), "R21: the reason header travels"),
                        () -> assertEquals(2, clientEnd.size(), "R21/§5.5.4: then the close Signal: " + clientEnd));
            } finally {
                clientEnd.forEach(Message::close);
            }
            Wire.await(link.server, m -> Wire.isCloseSignal(m, sch)).close();   // server's M closes after the client's
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }
}
