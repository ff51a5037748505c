package dev.tofu.rpc;

import dev.tofu.Client;
import dev.tofu.ClientOptions;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streaming both ways (R20): parts linked by {@code more}, progress SIGNALs, pushed SIGNALs. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcStreamingTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    private static final int PARTS = 100;

    /** A streaming server: "stream" = 100 parts, "crc" = the CRC32 of the request, "progress" = 3 SIGNALs then the answer, else echo. */
    private static Server streamingServer(Reactor reactor, Transport transport, AtomicLong serverCrc, AtomicLong seenLength) {
        return Server.builder(reactor).listen(transport.serverAddress())
                .onStream((request, out) -> {
                    String op = request.headers().get("op");
                    switch (op == null ? "echo" : op) {
                        case "stream" -> {
                            Random random = new Random(request.messageId());
                            CRC32 crc = new CRC32();
                            for (int i = 0; i < PARTS; i++) {
                                byte[] bytes = new byte[100 + random.nextInt(3000)];
                                random.nextBytes(bytes);
                                crc.update(bytes);
                                Message part = out.newMessage();
                                part.body().append(bytes);
                                if (i == PARTS - 1) {
                                    part.headers().append("crc", Long.toString(crc.getValue()));
                                    // before the last part goes: the client may check it the moment that part arrives
                                    serverCrc.set(crc.getValue());
                                }
                                out.send(part, i < PARTS - 1);
                            }
                        }
                        case "crc" -> {
                            byte[] body = request.body().toByteArray();
                            seenLength.set(body.length);
                            out.send(Rpc.fill(out.newMessage(), Long.toString(Rpc.crc(body))), false);
                        }
                        case "progress" -> {
                            String token = Rpc.text(request);
                            for (int k = 0; k < 3; k++) {
                                out.progress(Rpc.fill(out.newMessage(), token + "-progress-" + k));
                            }
                            out.send(Rpc.fill(out.newMessage(), token + "-done"), false);
                        }
                        default -> out.send(request, false); // echo, split automatically when large
                    }
                })
                .start();
    }

    private static Message op(Client client, String op, String body) {
        Message m = Rpc.text(client, body);
        m.headers().append("op", op);
        return m;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void streamedResponseArrivesWholeThroughIteratorAndCallback(Transport transport) {
        AtomicLong serverCrc = new AtomicLong();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = streamingServer(serverReactor, transport, serverCrc, new AtomicLong());
            Client client = Client.connect(clientReactor, server.addresses().get(0));

            CRC32 viaIterator = new CRC32();
            int parts = 0;
            String announced = null;
            Iterator<Message> it = client.stream(op(client, "stream", ""), Rpc.CALL);
            while (it.hasNext()) {
                try (Message part = it.next()) {
                    assertEquals(OpCode.RESPONSE, part.opCode());
                    viaIterator.update(part.body().asReadOnlyBuffer());
                    parts++;
                    if (!part.more()) {
                        announced = part.headers().get("crc");
                    }
                }
            }
            assertFalse(it.hasNext());
            assertEquals(PARTS, parts);
            assertEquals(serverCrc.get(), viaIterator.getValue(), "CRC32 of the parts equals the server's");
            assertEquals(Long.toString(serverCrc.get()), announced);

            CRC32 viaCallback = new CRC32();
            List<Boolean> mores = new ArrayList<>();
            client.call(op(client, "stream", ""), Rpc.CALL, part -> {
                viaCallback.update(part.body().asReadOnlyBuffer());
                mores.add(part.more());
            });
            assertEquals(PARTS, mores.size());
            assertEquals(serverCrc.get(), viaCallback.getValue());
            assertFalse(mores.get(PARTS - 1));

            try (Message whole = client.call(op(client, "stream", ""), Rpc.CALL)) {
                assertFalse(whole.more(), "plain call joins the parts into one message");
                CRC32 c = new CRC32();
                c.update(whole.body().asReadOnlyBuffer());
                assertEquals(serverCrc.get(), c.getValue());
            }
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void streamedRequestIsReassembledBeforeTheHandlerSeesIt(Transport transport) {
        AtomicLong seenLength = new AtomicLong();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = streamingServer(serverReactor, transport, new AtomicLong(), seenLength);
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            Random random = new Random(42);
            CRC32 crc = new CRC32();
            List<Message> parts = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                byte[] chunk = new byte[64 * 1024]; // one byte over the frame limit: each part is split again
                random.nextBytes(chunk);
                crc.update(chunk);
                Message part = client.newMessage();
                if (i == 0) {
                    part.headers().append("op", "crc");
                }
                part.body().append(chunk);
                parts.add(part);
            }
            try (Message response = client.call(parts, Rpc.CALL)) {
                assertEquals(Long.toString(crc.getValue()), Rpc.text(response), "the server saw the same bytes");
            }
            assertEquals(50L * 64 * 1024, seenLength.get(), "one reassembled body");
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void oneMebibyteEchoThroughPlainCallIsSplitAndJoinedAutomatically(Transport transport) {
        byte[] big = new byte[1 << 20];
        new Random(7).nextBytes(big);
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Rpc.echoServer(serverReactor, transport);
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            Message request = client.newMessage();
            request.body().append(big);
            try (Message response = client.call(request, Rpc.CALL)) {
                assertArrayEquals(big, response.body().toByteArray());
            }
            // and through a streaming server's Responder
            Server streaming = streamingServer(serverReactor, transport, new AtomicLong(), new AtomicLong());
            Client client2 = Client.connect(clientReactor, streaming.addresses().get(0));
            Message request2 = client2.newMessage();
            request2.body().append(big);
            try (Message response = client2.call(request2, Rpc.CALL)) {
                assertArrayEquals(big, response.body().toByteArray());
            }
            client.close();
            client2.close();
            server.close();
            streaming.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void progressSignalsReachTheCallerWhoseCallTheyBelongTo(Transport transport) throws Exception {
        ConcurrentLinkedQueue<String> heard = new ConcurrentLinkedQueue<>();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = streamingServer(serverReactor, transport, new AtomicLong(), new AtomicLong());
            Client client = Client.connect(clientReactor, server.addresses().get(0),
                    ClientOptions.DEFAULT.withSignalListener(signal -> heard.add(Rpc.text(signal))));
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Void>> done = new ArrayList<>();
                for (int c = 0; c < 20; c++) {
                    String token = "caller-" + c;
                    done.add(callers.submit(() -> {
                        List<String> signals = new ArrayList<>();
                        List<String> answers = new ArrayList<>();
                        client.call(op(client, "progress", token), Rpc.CALL, part -> {
                            (part.opCode() == OpCode.SIGNAL ? signals : answers).add(Rpc.text(part));
                        });
                        assertEquals(List.of(token + "-progress-0", token + "-progress-1", token + "-progress-2"), signals,
                                "R20: progress SIGNALs with the call's id reach its caller, in order");
                        assertEquals(List.of(token + "-done"), answers);
                        return null;
                    }));
                }
                Rpc.all(done);
            }
            assertTrue(heard.isEmpty(), "streaming calls take their own progress: " + heard);

            // a plain call hands its progress to the signal listener
            try (Message plain = client.call(op(client, "progress", "plain"), Rpc.CALL)) {
                assertEquals("plain-done", Rpc.text(plain));
            }
            assertTrue(NoLeaks.awaitTrue(() -> heard.size() == 3, Duration.ofSeconds(10)), "listener heard: " + heard);
            assertEquals(List.of("plain-progress-0", "plain-progress-1", "plain-progress-2"), List.copyOf(heard));
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void signalsTravelBothWays(Transport transport) {
        ConcurrentLinkedQueue<String> heard = new ConcurrentLinkedQueue<>();
        Server[] self = new Server[1];
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> request)
                    .onSignal(signal -> self[0].send(signal.channel(), Rpc.text(self[0], "pong:" + Rpc.text(signal))))
                    .start();
            self[0] = server;
            Client client = Client.connect(clientReactor, server.addresses().get(0),
                    ClientOptions.DEFAULT.withSignalListener(signal -> heard.add(Rpc.text(signal))));
            client.send(Rpc.text(client, "ping-1"));
            client.send(Rpc.text(client, "ping-2"));
            assertTrue(NoLeaks.awaitTrue(() -> heard.size() == 2, Duration.ofSeconds(10)), "heard: " + heard);
            assertEquals(List.of("pong:ping-1", "pong:ping-2"), List.copyOf(heard));
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
