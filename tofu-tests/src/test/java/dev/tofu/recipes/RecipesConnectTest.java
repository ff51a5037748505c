package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.MessageRole;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipes R9–R12 (PROTOCOL.md §7): listeners, connecting in one group, updateReceiver. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RecipesConnectTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r9StartedListenerAnswersWithSuccessfulWelcomeResponseOnItsChannel(Transport transport) {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            transport.serverAddress().format(m);
            BinaryHeader h = g.post(m);
            Message resp = Wire.await(g, x -> true);
            try {
                assertAll(
                        () -> assertEquals(OpCode.WELCOME_RESPONSE, resp.opCode(), "R9: opcode 9"),
                        () -> assertEquals(h.channel(), resp.channel(), "R9: channel == post()'s channel"),
                        () -> assertEquals(Status.SUCCESS, resp.status(), "R9: status success"),
                        () -> assertEquals(h.messageId(), resp.messageId(), "§5.2: the request's message_id"),
                        () -> assertEquals(Origin.APPLICATION, resp.origin(), "§5.2/§9 item 12: success has origin application"),
                        () -> assertNotNull(resp.headers().get(Address.BOUND_TO), "§9 item 25: ~bound_to"));
            } finally {
                resp.close();
            }
            Scenarios.closeListener(ampe, g, h.channel());
            g.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r10SecondEngineListensOnTheSameTcpAddress() {
        try (Reactor a = Reactor.create(); Reactor b = Reactor.create()) {
            ChannelGroup ga = a.ampe().create();
            ChannelGroup gb = b.ampe().create();
            Wire.Listener first = Wire.listen(a.ampe(), ga, Address.tcpServer("127.0.0.1", 0));
            int port = ((Address.TcpClient) first.clientAddress()).port();
            // Wire.listen asserts status success: R10 (SO_REUSEPORT on Linux).
            Wire.Listener second = Wire.listen(b.ampe(), gb, Address.tcpServer("127.0.0.1", port));
            assertEquals(first.clientAddress(), second.clientAddress(), "R10: both bound to the same TCP address");
            Scenarios.closeListener(b.ampe(), gb, second.channel());
            Scenarios.closeListener(a.ampe(), ga, first.channel());
            ga.close();
            gb.close();
            NoLeaks.assertAtRest(a);
            NoLeaks.assertAtRest(b);
        }
    }

    @Test
    void r10SecondEngineListensOnTheSameUdsPathByReplacingTheFile() {
        Endpoints at = Endpoints.fresh(Transport.UDS);
        try (Reactor a = Reactor.create(); Reactor b = Reactor.create()) {
            ChannelGroup ga = a.ampe().create();
            ChannelGroup gb = b.ampe().create();
            Wire.Listener first = Wire.listen(a.ampe(), ga, at.server());
            assertTrue(Files.exists(at.udsPath()), "§4: the UDS listener creates its file");
            Wire.Listener second = Wire.listen(b.ampe(), gb, at.server());   // asserts success (R10)
            // the path now belongs to the second listener: a client reaches engine B
            int cch = Wire.hello(a.ampe(), ga, at.client()).channel();
            Message hello = Wire.await(gb, x -> x.opCode() == OpCode.HELLO_REQUEST);
            assertEquals(Origin.APPLICATION, hello.origin(), "R10: the replaced path leads to the second listener");
            int sch = hello.channel();
            hello.close();
            Wire.send(a.ampe(), ga, cch, OpCode.BYE_SIGNAL, 0, null);
            Wire.await(ga, x -> Wire.isCloseSignal(x, cch)).close();
            Wire.await(gb, x -> Wire.isCloseSignal(x, sch)).close();
            Scenarios.closeListener(b.ampe(), gb, second.channel());
            Scenarios.closeListener(a.ampe(), ga, first.channel());
            ga.close();
            gb.close();
            NoLeaks.assertAtRest(a);
            NoLeaks.assertAtRest(b);
        } finally {
            at.cleanUp();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r11ConnectInOneGroupUsesDistinctChannelsAndClosesBothEnds(Transport transport) {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            BinaryHeader ch = Wire.hello(ampe, g, l.clientAddress());
            Message hello = Wire.await(g, x -> x.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            assertAll(
                    () -> assertEquals(3, Set.of(l.channel(), ch.channel(), sch).size(),
                            "R11: listener, client and server channels are distinct"),
                    () -> assertEquals(ch.messageId(), hello.messageId(), "R11: the server sees the client's message_id"),
                    () -> assertEquals(l.clientAddress().value(), hello.headers().get(Address.CONNECT_TO),
                            "§8: the ~connect_to header is kept"));
            g.post(hello.opCode(OpCode.HELLO_RESPONSE));
            Message hr = Wire.await(g, x -> x.opCode() == OpCode.HELLO_RESPONSE);
            try {
                assertAll(
                        () -> assertEquals(ch.channel(), hr.channel(), "R11: HelloResponse returns on the client's channel"),
                        () -> assertEquals(ch.messageId(), hr.messageId(), "R11: with the client's message_id"),
                        () -> assertEquals(Origin.APPLICATION, hr.origin(), "R11"));
            } finally {
                hr.close();
            }

            Scenarios.closeListener(ampe, g, l.channel());   // R11: ByeSignal on listener → channel_closed

            Wire.send(ampe, g, ch.channel(), OpCode.BYE_SIGNAL, 0, null);
            boolean[] closed = new boolean[2];
            List<Message> msgs = Wire.collectUntil(g, x -> {
                closed[0] |= Wire.isCloseSignal(x, ch.channel());
                closed[1] |= Wire.isCloseSignal(x, sch);
                return closed[0] && closed[1];
            });
            try {
                Message back = msgs.stream().filter(x -> x.opCode() == OpCode.BYE_SIGNAL).findFirst().orElse(null);
                assertNotNull(back, "R11/§5.5.2: the ByeSignal comes back: " + msgs);
                assertAll(
                        () -> assertEquals(Status.CHANNEL_CLOSED, back.status(), "R11: client end reports channel_closed"),
                        () -> assertEquals(ch.channel(), back.channel(), "R11"),
                        () -> assertFalse(msgs.stream().anyMatch(x -> !x.isFromEngine()),
                                "R11: nothing but engine messages after the abortive close: " + msgs));
            } finally {
                msgs.forEach(Message::close);
            }
            g.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r12UpdateReceiverDeliversEngineSignalThenReinjectedRequest() {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            assertNull(g.waitReceive(Duration.ofNanos(100)), "R12: waitReceive(100 ns) on an empty group → null");

            g.updateReceiver(null);
            Message s = g.waitReceive(Wire.WAIT);
            assertNotNull(s, "R12: updateReceiver(null) wakes the receiver");
            assertAll(
                    () -> assertEquals(OpCode.SIGNAL, s.opCode(), "R12/§6.7: a Signal"),
                    () -> assertEquals(Origin.ENGINE, s.origin(), "R12/§6.7: origin engine"),
                    () -> assertEquals(0, s.channel(), "R12/§6.7: channel 0"),
                    () -> assertEquals(0, s.messageId(), "R12/§6.7: message_id 0"),
                    () -> assertEquals(Status.RECEIVER_UPDATE, s.status(), "R12/§6.7: receiver_update"));

            s.opCode(OpCode.REQUEST).messageId(1);
            g.updateReceiver(s);
            Message r = g.waitReceive(Wire.WAIT);
            try {
                assertNotNull(r, "R12: the re-injected message arrives");
                assertAll(
                        () -> assertEquals(Origin.APPLICATION, r.origin(), "R12/§6.7: origin application"),
                        () -> assertEquals(MessageRole.REQUEST, r.opCode().role(), "R12: role request"),
                        () -> assertEquals(1, r.messageId(), "R12: message_id 1"),
                        () -> assertEquals(Status.RECEIVER_UPDATE, r.status(), "R12/§6.7: status receiver_update"));
            } finally {
                r.close();
            }
            g.close();
            NoLeaks.assertAtRest(reactor);
        }
    }
}
