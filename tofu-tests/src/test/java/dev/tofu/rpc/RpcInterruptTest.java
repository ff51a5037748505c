package dev.tofu.rpc;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Client;
import dev.tofu.ClientOptions;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.TofuException;
import dev.tofu.TofuInterruptedException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interrupts (issue 19, Java's convention): a blocking {@link Client} call that is interrupted ends
 * promptly, throws {@link TofuInterruptedException} (not a timeout, not a handler failure) and keeps
 * the thread's interrupt flag.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcInterruptTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    /** What a test thread saw: the exception it caught and whether its interrupt flag was still set. */
    private record Outcome(Throwable thrown, boolean flagKept, long tookMs) {
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void connectInterruptedWhileWaitingForTheHelloResponseSaysInterruptedAndKeepsTheFlag(Transport transport) throws Exception {
        try (Reactor rawReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Ampe ampe = rawReactor.ampe();
            ChannelGroup raw = ampe.create(); // a listener that receives the HelloRequest and never answers
            Wire.Listener listener = Wire.listen(ampe, raw, transport.serverAddress());
            CompletableFuture<Outcome> outcome = new CompletableFuture<>();
            Thread connecting = Thread.ofVirtual().start(() -> {
                long start = System.nanoTime();
                try {
                    Client.connect(clientReactor, listener.clientAddress(),
                            ClientOptions.DEFAULT.withConnectTimeout(Duration.ofSeconds(20))).close();
                    outcome.complete(new Outcome(null, Thread.currentThread().isInterrupted(), 0));
                } catch (Throwable t) {
                    outcome.complete(new Outcome(t, Thread.currentThread().isInterrupted(),
                            (System.nanoTime() - start) / 1_000_000));
                }
            });
            Message hello = raw.waitReceive(Duration.ofSeconds(10)); // the client now waits for its HelloResponse
            assertNotNull(hello, "the HelloRequest reached the raw listener");
            assertEquals(OpCode.HELLO_REQUEST, hello.opCode());
            ampe.put(hello);
            connecting.interrupt();
            Outcome o = outcome.get(10, TimeUnit.SECONDS);
            assertInstanceOf(TofuInterruptedException.class, o.thrown(),
                    "issue 19: an interrupted connect says interrupted, not timed out: " + o.thrown());
            assertTrue(o.flagKept(), "the interrupt flag is kept");
            assertTrue(o.tookMs() < 10_000, "the interrupt ends the connect long before its 20 s timeout: " + o.tookMs());
            NoLeaks.assertAtRest(clientReactor); // the half-open channel and its group are gone
            raw.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void callInterruptedWhileWaitingSaysInterruptedKeepsTheFlagAndTheChannelStaysUsable(Transport transport) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        if (Rpc.text(request).equals("slow")) {
                            entered.incrementAndGet();
                            Rpc.await(release);
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            CompletableFuture<Outcome> outcome = new CompletableFuture<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                long start = System.nanoTime();
                try {
                    Rpc.call(client, "slow");
                    outcome.complete(new Outcome(null, Thread.currentThread().isInterrupted(), 0));
                } catch (Throwable t) {
                    outcome.complete(new Outcome(t, Thread.currentThread().isInterrupted(),
                            (System.nanoTime() - start) / 1_000_000));
                }
            });
            assertTrue(NoLeaks.awaitTrue(() -> entered.get() == 1, Duration.ofSeconds(10)), "the request reached its handler");
            caller.interrupt();
            Outcome o = outcome.get(10, TimeUnit.SECONDS);
            assertInstanceOf(TofuInterruptedException.class, o.thrown(),
                    "issue 19: an interrupted call says interrupted, distinct from a handler failure: " + o.thrown());
            assertTrue(o.flagKept(), "the interrupt flag is kept");
            assertTrue(client.isOpen(), "an interrupt never closes the channel");
            release.countDown();
            assertTrue(NoLeaks.awaitTrue(() -> client.lateResponses() == 1, Duration.ofSeconds(10)),
                    "the abandoned call's response is counted late, not handed to anyone");
            assertEquals("next", Rpc.call(client, "next"), "the channel stays usable");
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void callOnAnAlreadyInterruptedThreadFailsAtOnceWithTheFlagKept(Transport transport) throws Exception {
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Rpc.echoServer(serverReactor, transport);
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            CompletableFuture<Outcome> outcome = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                Thread.currentThread().interrupt();
                try {
                    Rpc.call(client, "never waits");
                    outcome.complete(new Outcome(null, Thread.currentThread().isInterrupted(), 0));
                } catch (TofuException t) {
                    outcome.complete(new Outcome(t, Thread.currentThread().isInterrupted(), 0));
                }
            });
            Outcome o = outcome.get(10, TimeUnit.SECONDS);
            assertInstanceOf(TofuInterruptedException.class, o.thrown(), String.valueOf(o.thrown()));
            assertTrue(o.flagKept(), "the interrupt flag is kept");
            assertEquals("after", Rpc.call(client, "after"), "the channel stays usable");
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anInterruptedReceiverOrDispatcherClearsItsFlagAndKeepsServing(Transport transport) throws Exception {
        java.util.concurrent.LinkedBlockingQueue<Boolean> clientFlags = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.LinkedBlockingQueue<Boolean> serverFlags = new java.util.concurrent.LinkedBlockingQueue<>();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onSignal(signal -> {               // runs on the server's dispatcher
                        serverFlags.add(Thread.currentThread().isInterrupted());
                        Thread.currentThread().interrupt();
                        Server s = Server.current();
                        s.send(signal.channel(), Rpc.text(s, "pong"));
                    })
                    .onRequest(request -> request)
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0),
                    ClientOptions.DEFAULT.withSignalListener(m -> { // runs on the client's receiver
                        clientFlags.add(Thread.currentThread().isInterrupted());
                        Thread.currentThread().interrupt();
                    }));
            for (int i = 0; i < 3; i++) {
                client.send(Rpc.text(client, "ping"));
                assertEquals(Boolean.FALSE, serverFlags.poll(10, TimeUnit.SECONDS),
                        "the dispatcher cleared the interrupt its signal handler left and kept serving");
                assertEquals(Boolean.FALSE, clientFlags.poll(10, TimeUnit.SECONDS),
                        "the receiver cleared the interrupt its listener left and kept serving");
                assertEquals("call " + i, Rpc.call(client, "call " + i));
            }
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
