package dev.tofu.lease;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * API.md "Ownership rules": a reference is valid for one lease. The README's idioms close (and put,
 * and read) the request after it was handed over, while the storage it had is already carrying the
 * response. Before leases, the writer recycled the sent request, the reader took that same object
 * for the response, and the stale {@code close()} cleared the caller's live response (97 of 100
 * calls over loopback). Here every one of 10,000 round trips must keep its response intact.
 */
@Timeout(120)
@ExtendWith(NoLeaks.class)
class StaleReferenceRoundTripTest {
    private static final int ROUNDS = 10_000;
    private static final Duration CALL = Duration.ofSeconds(20);

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theQuickstartIdiomNeverDestroysTheResponse(Transport transport) {
        try (Reactor reactor = Reactor.create();
             Server server = Server.builder(reactor)
                     .listen(transport.serverAddress())
                     .onRequest(request -> {                       // the quickstart: reuse the request
                         byte[] name = request.body().toByteArray();
                         request.body().clear();
                         request.body().append(("hello, " + new String(name, UTF_8)).getBytes(UTF_8));
                         return request;
                     })
                     .start();
             Client client = Client.connect(reactor, server.addresses().get(0))) {
            Ampe ampe = reactor.ampe();
            for (int i = 0; i < ROUNDS; i++) {
                Message resp;
                Message stale;
                try (Message req = client.newMessage()) {
                    stale = req;
                    req.body().append(("n" + i).getBytes(UTF_8));
                    resp = client.call(req, CALL);
                }                                                  // req.close(): a stale close
                stale.close();
                ampe.put(stale);
                assertThrows(IllegalStateException.class, stale::body, "API.md: a dead reference cannot be read");
                assertThrows(IllegalStateException.class, () -> stale.channel(3), "API.md: nor changed");
                assertEquals("hello, n" + i, new String(resp.body().toByteArray(), UTF_8),
                        "round " + i + ": the response survives every stale close/put of the request");
                resp.close();
            }
            server.close();
            NoLeaks.assertAtRest(reactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theRawApiPostThenCloseIdiomNeverDestroysTheResponse(Transport transport) {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup serverGroup = ampe.create();
            ChannelGroup clientGroup = ampe.create();
            Wire.Listener l = Wire.listen(ampe, serverGroup, transport.serverAddress());
            BinaryHeader h = Wire.hello(ampe, clientGroup, l.clientAddress());
            Message hello = Wire.await(serverGroup, m -> m.opCode() == OpCode.HELLO_REQUEST);
            hello.opCode(OpCode.HELLO_RESPONSE);
            serverGroup.post(hello);
            Wire.await(clientGroup, m -> m.opCode() == OpCode.HELLO_RESPONSE).close();
            AtomicReference<Throwable> echoFailure = new AtomicReference<>();
            Thread echo = Thread.ofVirtual().name("stale-echo").start(() -> {
                try {
                    for (int i = 0; i < ROUNDS; i++) {
                        Message req = Wire.await(serverGroup, m -> m.opCode() == OpCode.REQUEST);
                        req.opCode(OpCode.RESPONSE);               // reuse it for the reply
                        serverGroup.post(req);
                        req.close();                               // stale: the reply is in flight
                    }
                } catch (Throwable t) {
                    echoFailure.set(t);
                }
            });
            for (int i = 0; i < ROUNDS; i++) {
                Message stale;
                try (Message req = ampe.get(AllocationStrategy.ALWAYS)) {
                    stale = req;
                    req.opCode(OpCode.REQUEST).channel(h.channel()).body().append(("r" + i).getBytes(UTF_8));
                    clientGroup.post(req);
                }
                Message resp = Wire.await(clientGroup, m -> m.opCode() == OpCode.RESPONSE);
                stale.close();                                     // every stale use after the reply came
                ampe.put(stale);
                assertThrows(IllegalStateException.class, () -> stale.body().length(), "API.md: dead reference");
                assertThrows(IllegalStateException.class, stale::header, "API.md: dead reference");
                ByteBuffer body = resp.body().asReadOnlyBuffer();
                assertEquals("r" + i, UTF_8.decode(body).toString(), "round " + i + ": the response is intact");
                resp.close();
            }
            assertTrue(echo.join(Duration.ofSeconds(30)), "the echo loop ended");
            assertNull(echoFailure.get(), "the echo loop's stale close() never failed");
            clientGroup.close();
            serverGroup.close();
            NoLeaks.assertAtRest(reactor);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
