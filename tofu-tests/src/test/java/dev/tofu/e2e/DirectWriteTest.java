package dev.tofu.e2e;

import dev.tofu.AllocationStrategy;
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
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Options.withDirectWrite(true): a post that finds the channel idle writes on the posting thread.
 * Post order per thread, nothing lost, and the bye rules of PROTOCOL.md §2.3 still hold.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class DirectWriteTest {
    private static final Options DIRECT = Options.of(64, 4096).withDirectWrite(true);

    @ParameterizedTest
    @EnumSource(Transport.class)
    void concurrentPostersKeepTheirOrderAndLoseNothing(Transport transport) throws Exception {
        int threads = 16;
        int each = 500;
        try (Reactor reactor = Reactor.create(DIRECT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            int ch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();

            CountDownLatch start = new CountDownLatch(1);
            List<Thread> posters = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                posters.add(Thread.ofVirtual().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < each; i++) {
                        // own messages, not the shared pool's: 8,000 in flight would otherwise take the
                        // pooled messages the receiving side needs (§6.6 sizing: pool >= messages in flight)
                        Message m = new Message();
                        m.opCode(OpCode.REQUEST).channel(ch).body().append((id + ":" + i).getBytes(StandardCharsets.UTF_8));
                        client.post(m);
                    }
                }));
            }
            start.countDown();
            int[] next = new int[threads];
            for (int got = 0; got < threads * each; got++) {
                Message m = Wire.await(server, x -> x.opCode() == OpCode.REQUEST);
                String[] parts = new String(m.body().toByteArray(), StandardCharsets.UTF_8).split(":");
                int t = Integer.parseInt(parts[0]);
                assertEquals(next[t]++, Integer.parseInt(parts[1]), "§6.8: frames leave in post order per poster");
                m.close();
            }
            for (Thread p : posters) {
                p.join();
            }
            for (int t = 0; t < threads; t++) {
                assertEquals(each, next[t], "every message of poster " + t + " arrived");
            }
            Wire.send(ampe, client, ch, OpCode.BYE_SIGNAL, 0, null);
            Wire.await(client, m -> Wire.isCloseSignal(m, ch)).close();
            Wire.await(server, m -> Wire.isCloseSignal(m, sch)).close();
            Wire.send(ampe, server, l.channel(), OpCode.BYE_SIGNAL, 0, null);
            Wire.await(server, m -> Wire.isCloseSignal(m, l.channel())).close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void afterAByeRequestNothingIsWrittenDirectlyAndLaterPostsComeBack(Transport transport) {
        try (Reactor reactor = Reactor.create(DIRECT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            int ch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();

            for (int i = 1; i <= 20; i++) {
                Wire.send(ampe, client, ch, OpCode.REQUEST, i, "before");
            }
            Wire.send(ampe, client, ch, OpCode.BYE_REQUEST, 0, null);
            for (int i = 21; i <= 25; i++) {
                Wire.send(ampe, client, ch, OpCode.REQUEST, i, "after");
            }
            List<Message> atServer = Wire.collectUntil(server, m -> m.opCode() == OpCode.BYE_REQUEST);
            assertEquals(21, atServer.size(), "§2.3: the 20 requests, then the ByeRequest, nothing after it: " + atServer);
            for (int i = 0; i < 20; i++) {
                assertEquals(i + 1, atServer.get(i).messageId(), "post order across direct and queued writes");
                atServer.get(i).close();
            }
            Message bye = atServer.get(20);
            bye.opCode(OpCode.BYE_RESPONSE);
            server.post(bye);

            List<Message> clientEnd = Wire.collectUntil(client, m -> Wire.isCloseSignal(m, ch));
            assertEquals(OpCode.BYE_RESPONSE, clientEnd.get(0).opCode(), "§5.5.1: the ByeResponse arrives");
            List<Long> returned = new ArrayList<>();
            for (Message m : clientEnd.subList(1, clientEnd.size() - 1)) {
                assertEquals(Origin.ENGINE, m.origin());
                assertEquals(Status.CHANNEL_CLOSED, m.status(), "§5.5.1: posts after the ByeRequest come back");
                returned.add(m.messageId());
            }
            assertEquals(List.of(21L, 22L, 23L, 24L, 25L), returned, "§5.6: returned in post order");
            clientEnd.forEach(Message::close);
            Wire.await(server, m -> Wire.isCloseSignal(m, sch)).close();
            Wire.send(ampe, server, l.channel(), OpCode.BYE_SIGNAL, 0, null);
            Wire.await(server, m -> Wire.isCloseSignal(m, l.channel())).close();
            NoLeaks.assertAtRest(reactor);
            assertTrue(reactor.stats().messagesOut() >= 22, "the frames were written");
        }
    }
}
