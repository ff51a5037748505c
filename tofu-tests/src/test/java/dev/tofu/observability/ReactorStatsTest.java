package dev.tofu.observability;

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
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reactor.stats() and the JFR events tell what the engine is doing. */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ReactorStatsTest {
    @ParameterizedTest
    @EnumSource(Transport.class)
    void statsCountChannelsMessagesBytesAndCloseReasons(Transport transport) {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();
            Wire.send(ampe, client, cch, OpCode.REQUEST, 5, "12345");
            Wire.await(server, m -> m.opCode() == OpCode.REQUEST).close();

            // the writer counts after its write returns, so the peer may deliver first: wait for it
            NoLeaks.awaitTrue(() -> reactor.stats().messagesOut() == 2, Wire.WAIT);
            ReactorStats s = reactor.stats();
            assertEquals(1, s.openListeners(), "one listener");
            assertEquals(1, s.openClients(), "one client channel");
            assertEquals(1, s.openServers(), "one accepted channel");
            assertEquals(3, s.openChannels());
            assertEquals(2, s.groupQueueDepths().size(), "two live groups");
            assertEquals(2, s.messagesIn(), "HelloRequest and Request received");
            assertEquals(2, s.messagesOut(), "HelloRequest and Request written");
            assertTrue(s.bytesIn() >= 2 * 16 + 5, "headers and the 5-byte body counted: " + s.bytesIn());
            assertEquals(s.bytesIn(), s.bytesOut(), "what was written is what was read");

            Wire.send(ampe, client, cch, OpCode.BYE_SIGNAL, 0, null);
            Wire.await(client, m -> Wire.isCloseSignal(m, cch)).close();
            Wire.await(server, m -> Wire.isCloseSignal(m, sch)).close();
            Wire.send(ampe, server, l.channel(), OpCode.BYE_SIGNAL, 0, null);
            Wire.await(server, m -> Wire.isCloseSignal(m, l.channel())).close();
            NoLeaks.assertAtRest(reactor);
            NoLeaks.awaitTrue(() -> reactor.stats().closeReasons().size() == 2, Wire.WAIT);

            ReactorStats after = reactor.stats();
            assertEquals(0, after.openChannels(), "every channel closed");
            assertEquals(2L, after.closeReasons().get(Status.CHANNEL_CLOSED), "client and listener closed by ByeSignal");
            assertEquals(1L, after.closeReasons().get(Status.PEER_DISCONNECTED), "server side saw the peer go");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void jfrEventsReportChannelOpenAndClose(Transport transport) throws Exception {
        List<RecordedEvent> events = new CopyOnWriteArrayList<>();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("dev.tofu.ChannelOpened");
            rs.enable("dev.tofu.ChannelClosed");
            rs.onEvent(events::add);
            rs.startAsync();
            try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
                Ampe ampe = reactor.ampe();
                ChannelGroup server = ampe.create();
                Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
                Wire.send(ampe, server, l.channel(), OpCode.BYE_SIGNAL, 0, null);
                Wire.await(server, m -> Wire.isCloseSignal(m, l.channel())).close();
                NoLeaks.assertAtRest(reactor);
            }
            rs.stop();
        }
        assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals("dev.tofu.ChannelOpened")
                && "listener".equals(e.getString("kind"))), "a ChannelOpened event for the listener: " + events);
        assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals("dev.tofu.ChannelClosed")
                && "CHANNEL_CLOSED".equals(e.getString("reason"))), "a ChannelClosed event with its reason: " + events);
    }

}
