package dev.tofu.e2e;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
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

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A channel's reader takes the frames that one socket read brought in as a batch (one pool
 * acquisition, one queue insertion): whatever lands in one read is still delivered frame by frame,
 * in order, exactly as if read one at a time (PROTOCOL.md §1.7, §1.8, §5.5.4, §6.6), and a batch
 * cut short gives back the messages it took for the frames it did not read.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ReaderBatchTest {
    /** Room for every message a test holds at once, so no read waits for the pool (§6.6). */
    private static final Options ROOMY = Options.of(128, 256);

    private static byte[] requests(long firstId, int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long id = firstId; id < firstId + count; id++) {
            out.writeBytes(Raw.frame(1, OpCode.REQUEST.code(), id, "r" + id));
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static List<Long> ids(List<Message> got) {
        return got.stream().map(Message::messageId).toList();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void framesBeforeARejectedFrameInTheSameReadAreDeliveredInOrderThenTheChannelCloses(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(ROOMY)) { // the test holds every message until the close
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            try (Raw raw = Raw.connect(l.clientAddress())) {
                // one write: HelloRequest, 40 Requests, a frame with opcode 12 (§1.8), 5 more Requests
                raw.write(concat(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 500, "hi"), requests(1, 40),
                        Raw.frame(1, 12, 999, "bad"), requests(41, 5)));
                List<Message> got = Wire.collectUntil(g, x -> x.opCode() == OpCode.SIGNAL && x.status() == Status.CHANNEL_CLOSED);
                List<Long> expected = new ArrayList<>();
                expected.add(500L);
                LongStream.rangeClosed(1, 40).forEach(expected::add);
                expected.add(500L); // the close Signal carries the first frame's id (§5.6)
                assertEquals(expected, ids(got), "§1.8: every frame before the rejected one, in order, then the close");
                assertEquals("r40", Probe.text(got.get(40)), "the last frame before the rejected one is intact");
                Probe.awaitTrue(() -> reactor.stats().closeReasons().getOrDefault(Status.RECV_FAILED, 0L) == 1L, Wire.WAIT,
                        "§1.8: closed for the rejected frame: " + reactor.stats().closeReasons());
                Probe.closeAll(got);
                assertTrue(raw.awaitPeerClose(Wire.WAIT), "§1.8: the socket is closed");
            }
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor); // the messages taken for the 5 unread frames went back to the pool
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aByeSignalInsideABatchIsDeliveredAndNothingAfterIt(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(ROOMY)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            try (Raw raw = Raw.connect(l.clientAddress())) {
                raw.write(concat(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 600, ""), requests(1, 10),
                        Raw.frame(1, OpCode.BYE_SIGNAL.code(), 601, "bye"), requests(11, 10)));
                List<Message> got = Wire.collectUntil(g, x -> x.opCode() == OpCode.SIGNAL && x.status() == Status.CHANNEL_CLOSED);
                List<Long> expected = new ArrayList<>();
                expected.add(600L);
                LongStream.rangeClosed(1, 10).forEach(expected::add);
                expected.add(601L);
                expected.add(600L);
                assertEquals(expected, ids(got), "§5.5.4: frames up to the ByeSignal, the ByeSignal, then the close Signal");
                assertEquals(OpCode.BYE_SIGNAL, got.get(11).opCode());
                Probe.closeAll(got);
                assertTrue(raw.awaitPeerClose(Wire.WAIT), "§5.5.4: the receiver closes");
            }
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aReadHoldingMoreFramesThanThePoolHasIsDeliveredWhole(Transport transport) throws Exception {
        // a pool of at most 8 messages, 300 small frames in one write: each batch gets what the
        // pool has, the rest waits for the consumer to give messages back (§6.6)
        try (Reactor reactor = Reactor.create(Options.of(4, 8))) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            int ch = 0;
            try (Raw raw = Raw.connect(l.clientAddress())) {
                raw.write(concat(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 700, ""), requests(1, 300)));
                List<Long> seen = new ArrayList<>();
                while (seen.size() < 301) {
                    Message m = Wire.await(g, x -> !x.isFromEngine()); // pool_empty Signals are skipped
                    seen.add(m.messageId());
                    ch = m.channel();
                    m.close();
                }
                List<Long> expected = new ArrayList<>();
                expected.add(700L);
                LongStream.rangeClosed(1, 300).forEach(expected::add);
                assertEquals(expected, seen, "§6.6: every frame, in order, however the pool cut the batches");
            }
            Probe.awaitCloseSignals(g, ch);
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void framesSplitAtRandomPointsAcrossWritesArriveIntactAndInOrder(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            Random random = new Random(20261124);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 800, ""));
            for (long id = 1; id <= 200; id++) {
                byte[] body = new byte[random.nextInt(6000)]; // some over the 4 KiB read buffer
                random.nextBytes(body);
                all.writeBytes(Raw.frame(1, OpCode.REQUEST.code(), 0, id, new byte[0], body));
            }
            byte[] stream = all.toByteArray();
            int ch;
            try (Raw raw = Raw.connect(l.clientAddress())) {
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        for (int at = 0; at < stream.length; ) {
                            int n = Math.min(stream.length - at, 1 + random.nextInt(700));
                            raw.write(java.util.Arrays.copyOfRange(stream, at, at + n));
                            at += n;
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                Random check = new Random(20261124);
                Message hello = Wire.await(g, x -> x.messageId() == 800);
                ch = hello.channel();
                hello.close();
                for (long id = 1; id <= 200; id++) {
                    byte[] body = new byte[check.nextInt(6000)];
                    check.nextBytes(body);
                    Message m = Wire.await(g, x -> !x.isFromEngine());
                    assertEquals(id, m.messageId(), "§1.7: frames in arrival order");
                    assertTrue(java.util.Arrays.equals(body, m.body().toByteArray()), "frame " + id + " intact");
                    m.close();
                }
                writer.join(Wire.WAIT.toMillis());
            }
            Probe.awaitCloseSignals(g, ch);
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }
}
