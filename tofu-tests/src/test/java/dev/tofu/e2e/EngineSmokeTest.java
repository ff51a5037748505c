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
import dev.tofu.testing.Wire;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EngineSmokeTest {
    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectRequestResponseAndGracefulClose(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            int cch = Wire.hello(ampe, client, l.clientAddress()).channel();

            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.opCode(OpCode.HELLO_RESPONSE);
            server.post(hello);
            Message hr = Wire.await(client, m -> m.opCode() == OpCode.HELLO_RESPONSE);
            assertEquals(cch, hr.channel());
            assertEquals(Origin.APPLICATION, hr.origin());
            hr.close();

            Wire.send(ampe, client, cch, OpCode.REQUEST, 77, "ping");
            Message req = Wire.await(server, m -> m.opCode() == OpCode.REQUEST);
            assertEquals(77, req.messageId());
            assertEquals(sch, req.channel());
            assertEquals("ping", new String(req.body().toByteArray(), StandardCharsets.UTF_8));
            req.opCode(OpCode.RESPONSE);
            server.post(req);
            Message resp = Wire.await(client, m -> m.opCode() == OpCode.RESPONSE);
            assertEquals(77, resp.messageId());
            resp.close();

            Wire.send(ampe, client, cch, OpCode.BYE_REQUEST, 0, null);
            Message bye = Wire.await(server, m -> m.opCode() == OpCode.BYE_REQUEST);
            bye.opCode(OpCode.BYE_RESPONSE);
            server.post(bye);
            List<Message> clientEnd = Wire.collectUntil(client, m -> Wire.isCloseSignal(m, cch));
            assertEquals(OpCode.BYE_RESPONSE, clientEnd.get(0).opCode());
            Message serverClose = Wire.await(server, m -> Wire.isCloseSignal(m, sch));
            assertEquals(Status.CHANNEL_CLOSED, serverClose.status());
            serverClose.close();
            clientEnd.forEach(Message::close);
            Message listenerBye = ampe.get(dev.tofu.AllocationStrategy.ALWAYS);
            listenerBye.opCode(OpCode.BYE_SIGNAL).channel(l.channel());
            server.post(listenerBye);
            Wire.await(server, m -> Wire.isCloseSignal(m, l.channel())).close();
            NoLeaks.assertAtRest(reactor);
        }
    }
}
