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
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.tofu.testing.Probe.assertPostFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * post() validation that needs the engine (PROTOCOL.md §2.2 rules 10–13 and the Java additions of
 * §9 items 6–8): every failure leaves the message with the caller, its status byte set to the error.
 */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EnginePostValidationTest {

    @Test
    void postToAnUnknownChannelFailsWithInvalidChannelNumber() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(OpCode.REQUEST).channel(4242);
            assertPostFails(g, m, Status.INVALID_CHANNEL_NUMBER, "§2.2 rule 10: the channel must be an open channel of this engine");
            m.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void postToAChannelOfAnotherGroupFailsWithInvalidChannelGroup() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup owner = ampe.create();
            ChannelGroup other = ampe.create();
            Wire.Listener l = Wire.listen(ampe, owner, Transport.TCP.serverAddress());
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(OpCode.BYE_SIGNAL).channel(l.channel());
            assertPostFails(other, m, Status.INVALID_CHANNEL_GROUP, "§2.2 rule 11: the channel must be owned by the posting group");
            // the message is still ours: repost it to the right group, where it closes the listener
            owner.post(m);
            Wire.await(owner, x -> Wire.isCloseSignal(x, l.channel())).close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void postToAChannelAfterItsCloseSignalFailsWithInvalidChannelNumber(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            Probe.closeListener(ampe, g, l.channel());
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(OpCode.BYE_SIGNAL).channel(l.channel());
            assertPostFails(g, m, Status.INVALID_CHANNEL_NUMBER, "§5.6/§9 item 5: a closed channel number is released; post fails");
            m.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void postAfterTheGroupIsDestroyedFailsWithShutdownStarted() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message data = ampe.get(AllocationStrategy.ALWAYS);
            data.opCode(OpCode.REQUEST).channel(17);
            Message hello = ampe.get(AllocationStrategy.ALWAYS);
            Address.tcpClient("127.0.0.1", 1).format(hello);
            ampe.destroy(g);
            assertPostFails(g, data, Status.SHUTDOWN_STARTED, "§2.2 rule 13 / §6.3: post after destroy");
            assertPostFails(g, hello, Status.SHUTDOWN_STARTED, "§2.2 rule 13 / §6.3: post after destroy opens nothing");
            data.close();
            hello.close();
            assertEquals(0, ((dev.tofu.internal.engine.Engine) ampe).openChannels(), "§6.3: no channel opened by a refused post");
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void postAfterTheReactorIsClosedFailsWithShutdownStarted() {
        Reactor reactor = Reactor.create(Options.DEFAULT);
        Ampe ampe = reactor.ampe();
        ChannelGroup g = ampe.create();
        Message welcome = ampe.get(AllocationStrategy.ALWAYS);
        Transport.TCP.serverAddress().format(welcome);
        reactor.close();
        assertPostFails(g, welcome, Status.SHUTDOWN_STARTED, "§2.2 rule 13 / §6.9: post after engine close");
        welcome.close();
        assertThrows(dev.tofu.TofuException.class, () -> ampe.get(AllocationStrategy.ALWAYS),
                "§6.2: get after close raises ShutdownStarted");
    }

    @Test
    void postingAWelcomeResponseIsNotAllowed() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(OpCode.WELCOME_RESPONSE).channel(9).messageId(3);
            assertPostFails(g, m, Status.NOT_ALLOWED, "§2.2 Java additions / §9 item 7: WelcomeResponse is never posted");
            m.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"REQUEST", "RESPONSE", "SIGNAL", "HELLO_RESPONSE", "BYE_RESPONSE"})
    void postingDataToAListenerIsNotAllowedAndTheListenerKeepsListening(OpCode op) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, Transport.TCP.serverAddress());
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(op).channel(l.channel()).messageId(5);
            assertPostFails(g, m, Status.NOT_ALLOWED, "§2.2 Java additions / §9 item 8: only ByeRequest/ByeSignal go to a listener");
            m.close();
            // still listening: a client connects
            int cch = Wire.hello(ampe, g, l.clientAddress()).channel();
            Message hello = Wire.await(g, x -> x.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();
            Probe.byeSignal(ampe, g, cch);
            Probe.awaitCloseSignals(g, cch, sch);
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void byeRequestOnAListenerClosesItAndComesBack() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, Transport.TCP.serverAddress());
            BinaryHeader bye = Wire.send(ampe, g, l.channel(), OpCode.BYE_REQUEST, 0, null);
            var bundle = Wire.collectUntil(g, x -> Wire.isCloseSignal(x, l.channel()));
            assertEquals(2, bundle.size(), "§5.2 step 4: the posted Bye comes back, then the close Signal: " + bundle);
            Message back = bundle.get(0);
            assertEquals(OpCode.BYE_REQUEST, back.opCode(), "§5.2 step 4: the posted message itself comes back");
            assertEquals(Origin.ENGINE, back.origin(), "§5.2 step 4: origin engine");
            assertEquals(Status.CHANNEL_CLOSED, back.status(), "§5.2 step 4: status channel_closed");
            assertEquals(bye.messageId(), back.messageId(), "§5.6: the trigger keeps its message id");
            Probe.closeAll(bundle);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"HELLO_REQUEST", "WELCOME_REQUEST"})
    void helloOrWelcomeRequestWithANonZeroChannelFailsAndStaysUsable(OpCode op) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, Transport.TCP.serverAddress());
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            (op == OpCode.HELLO_REQUEST ? l.clientAddress() : Transport.TCP.serverAddress()).format(m);
            m.channel(l.channel());
            assertPostFails(g, m, Status.INVALID_CHANNEL_NUMBER, "§2.2 Java additions / §9 item 6: Hello/WelcomeRequest need channel 0");
            // the listener was not touched (tofu would have closed it) and the message is still ours
            m.channel(0);
            int ch = g.post(m).channel();
            assertNotEquals(l.channel(), ch, "§5.1: a new channel number");
            if (op == OpCode.HELLO_REQUEST) {
                Message hello = Wire.await(g, x -> x.opCode() == OpCode.HELLO_REQUEST);
                int sch = hello.channel();
                hello.close();
                Probe.byeSignal(ampe, g, ch);
                Probe.awaitCloseSignals(g, ch, sch);
            } else {
                Message w = Wire.await(g, x -> x.channel() == ch);
                assertEquals(Status.SUCCESS, w.status(), "§5.2: second listener starts");
                w.close();
                Probe.closeListener(ampe, g, ch);
            }
            Probe.closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void aMessagePostedTwiceThrowsIllegalStateException() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            Transport.TCP.serverAddress().format(m);
            BinaryHeader h = g.post(m);
            assertThrows(IllegalStateException.class, () -> g.post(m), "§2.2 / API.md: a posted message belongs to the engine");
            assertThrows(IllegalStateException.class, () -> m.messageId(99), "API.md: setters on a posted message throw");
            Message w = Wire.await(g, x -> x.channel() == h.channel());
            assertEquals(Status.SUCCESS, w.status(), "§5.2: the second post did not disturb the first");
            w.close();
            Probe.closeListener(ampe, g, h.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void autoMessageIdIsNonZeroReturnedInTheHeaderAndKeptByTheWelcomeResponse() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            Transport.TCP.serverAddress().format(m);
            m.status(Status.PROCESSING_FAILED).origin(Origin.ENGINE);
            BinaryHeader h = g.post(m);
            assertNotEquals(0L, h.messageId(), "§2.2 rule 9: message id 0 is replaced by the counter");
            assertEquals(Origin.APPLICATION, h.origin(), "§2.2 rule 2: origin forced to application");
            assertEquals(Status.SUCCESS, h.status(), "§2.2 rule 2: status forced to 0");
            assertEquals(OpCode.WELCOME_REQUEST, h.opCode(), "§2.2: the returned header is the prepared one");
            Message w = Wire.await(g, x -> x.channel() == h.channel());
            assertEquals(h.messageId(), w.messageId(), "§5.2: the WelcomeResponse keeps the request's id");
            w.close();
            Probe.closeListener(ampe, g, h.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }
}
