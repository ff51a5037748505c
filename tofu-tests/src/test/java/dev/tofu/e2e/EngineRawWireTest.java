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
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tofu listener against peers writing raw bytes on plain sockets (PROTOCOL.md §1.2–§1.8, §5.4,
 * §5.5.4): what is delivered, what closes a channel, and what the engine writes back.
 */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EngineRawWireTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aRawFrameIsDeliveredOnTheServersChannelWithOriginApplication(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            int sch;
            try (Raw raw = Raw.connect(l.clientAddress())) {
                // Request with the origin bit set (never sent by a conforming peer) and body "Hello"
                raw.write(Raw.frame(0x1234, 0x10 | OpCode.REQUEST.code(), 77, "Hello"));
                Message m = Wire.await(g, x -> x.messageId() == 77);
                assertEquals("Hello", Probe.text(m), "§8: the raw frame's body is decoded");
                assertEquals(OpCode.REQUEST, m.opCode(), "§1.7: opcode as sent");
                assertEquals(Origin.APPLICATION, m.origin(), "§1.8: the origin bit of every received frame is cleared");
                sch = m.channel();
                assertTrue(sch >= 1 && sch <= 65534, "§1.7: channel = the receiver's local channel number");
                m.close();

                // a second frame: other wire channel, non-zero status, more, bits 6-7 set
                byte[] headers = "k: v\r\n".getBytes(StandardCharsets.US_ASCII);
                raw.write(Raw.frame(0x0042, 0xC0 | 0x20 | OpCode.SIGNAL.code(), 5, 78, headers, new byte[] {9}));
                Message s = Wire.await(g, x -> x.messageId() == 78);
                assertEquals(sch, s.channel(), "§1.7: the wire channel number is replaced by the local one");
                assertEquals(OpCode.SIGNAL, s.opCode(), "§1.3 / §1.8: bits 6-7 are ignored on receipt");
                assertEquals(Status.INVALID_MESSAGE, s.status(), "§1.8: status passed through unchanged");
                assertTrue(s.more(), "§1.8: more passed through unchanged");
                assertEquals("v", s.headers().get("k"), "§1.5: text headers parsed");
                assertEquals(Origin.APPLICATION, s.origin());
                s.close();

                // the engine writes back with its own channel number, origin 0, status 0
                Message reply = ampe.get(dev.tofu.AllocationStrategy.ALWAYS);
                reply.opCode(OpCode.RESPONSE).channel(sch).messageId(77).status(Status.PROCESSING_FAILED);
                reply.body().append("World".getBytes(StandardCharsets.UTF_8));
                g.post(reply);
                Raw.Frame f = raw.readFrame(Wire.WAIT);
                assertEquals(sch, f.channel(), "§1.7: the wire channel_number is the sender's local channel number");
                assertEquals(OpCode.RESPONSE.code(), f.proto(), "§1.3 / §1.7: origin 0, more 0, bits 6-7 zero on the wire");
                assertEquals(0, f.status(), "§1.7: status is always 0 on the wire");
                assertEquals(77, f.messageId());
                assertEquals(0, f.headers().length);
                assertEquals("World", f.bodyText());
            }
            Probe.awaitCloseSignals(g, sch);
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @CsvSource({"TCP,12", "UDS,12", "TCP,8", "UDS,8", "TCP,9", "UDS,15"})
    void aFrameWithAForbiddenOpcodeClosesOnlyThatChannel(Transport transport, int opcode) throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            int goodCh;
            try (Raw bad = Raw.connect(l.clientAddress()); Raw good = Raw.connect(l.clientAddress())) {
                bad.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 501, "hi"));
                good.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 601, "hi"));
                int badCh = 0;
                int seenGood = 0;
                while (badCh == 0 || seenGood == 0) { // the two connections race: take both in any order
                    Message m = Wire.await(g, x -> x.messageId() == 501 || x.messageId() == 601);
                    if (m.messageId() == 501) {
                        badCh = m.channel();
                    } else {
                        seenGood = m.channel();
                    }
                    m.close();
                }
                goodCh = seenGood;
                int badChannel = badCh;
                assertNotEquals(badCh, goodCh);

                bad.write(Raw.frame(1, opcode, 502, "x"));
                List<Message> got = Wire.collectUntil(g, x -> Wire.isCloseSignal(x, badChannel));
                assertTrue(got.stream().noneMatch(x -> x.messageId() == 502),
                        "§1.8: a frame with opcode " + opcode + " is not delivered: " + got);
                assertEquals(501, got.get(got.size() - 1).messageId(), "§5.6: close Signal carries the first frame's id");
                Probe.closeAll(got);
                assertTrue(bad.awaitPeerClose(Wire.WAIT), "§1.8: the channel (and its socket) is closed");

                good.write(Raw.frame(1, OpCode.REQUEST.code(), 602, "still here"));
                Message again = Wire.await(g, x -> x.messageId() == 602);
                assertEquals(goodCh, again.channel(), "§1.8: other channels keep working");
                assertEquals("still here", Probe.text(again));
                again.close();
            }
            Probe.awaitCloseSignals(g, goodCh);
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aClientThatDisconnectsWithoutSendingGivesACloseSignalWithMessageIdZero(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            Raw.connect(l.clientAddress()).close();
            Message m = g.waitReceive(Wire.WAIT);
            assertTrue(m != null && m.opCode() == OpCode.SIGNAL && m.origin() == Origin.ENGINE
                    && m.status() == Status.CHANNEL_CLOSED, "§5.4 step 4: a close Signal, got " + m);
            assertNotEquals(l.channel(), m.channel(), "§5.4 step 4: for a channel number never seen");
            assertEquals(0L, m.messageId(), "§5.4 step 4 / §5.6: message id 0 (no frame received)");
            m.close();
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aReceivedByeSignalFrameIsDeliveredThenTheChannelCloses(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            try (Raw raw = Raw.connect(l.clientAddress())) {
                raw.write(Raw.frame(3, OpCode.HELLO_REQUEST.code(), 700, ""));
                raw.write(Raw.frame(3, OpCode.BYE_SIGNAL.code(), 701, "bye"));
                List<Message> got = Wire.collectUntil(g, x -> x.opCode() == OpCode.SIGNAL && x.status() == Status.CHANNEL_CLOSED);
                assertEquals(List.of(700L, 701L, 700L), got.stream().map(Message::messageId).toList(),
                        "§5.5.4 interop: HelloRequest, the ByeSignal, then the close Signal: " + got);
                Message bye = got.get(1);
                assertEquals(OpCode.BYE_SIGNAL, bye.opCode(), "§5.5.4: a received ByeSignal is delivered");
                assertEquals(Origin.APPLICATION, bye.origin(), "§5.5.4: origin application");
                assertArrayEquals("bye".getBytes(StandardCharsets.UTF_8), bye.body().toByteArray());
                Probe.closeAll(got);
                assertTrue(raw.awaitPeerClose(Wire.WAIT), "§5.5.4: then the channel closes");
            }
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }
}
