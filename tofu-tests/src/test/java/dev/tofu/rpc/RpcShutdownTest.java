package dev.tofu.rpc;

import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.TofuException;
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
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Server shutdown (issue 19): abort is prompt, isRunning tells the truth, a misused Responder leaks nothing. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcShutdownTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    @ParameterizedTest
    @EnumSource(Transport.class)
    void abortReturnsPromptlyEvenWhenHandlersIgnoreInterrupts(Transport transport) throws Exception {
        int stuck = 4;
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        entered.incrementAndGet();
                        boolean done = false;
                        while (!done) { // a handler that swallows interrupts
                            try {
                                done = release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException ignored) {
                                // keeps waiting: the kind of handler abort() must not wait for
                            }
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<TofuException>> calls = new ArrayList<>();
                for (int i = 0; i < stuck; i++) {
                    calls.add(callers.submit(() -> assertThrows(TofuException.class, () -> Rpc.call(client, "stuck"))));
                }
                assertTrue(NoLeaks.awaitTrue(() -> entered.get() == stuck, Duration.ofSeconds(10)), "every handler runs");
                long start = System.nanoTime();
                server.abort();
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(tookMs < 2_000, "issue 19: abort() stops at once, not after joining stuck handlers: " + tookMs + " ms");
                assertFalse(server.isRunning());
                Rpc.all(calls); // every waiting caller failed with the close
                release.countDown();
            }
            client.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void isRunningIsFalseOnceTheServersReactorIsClosed(Transport transport) {
        Reactor serverReactor = Reactor.create();
        try {
            Server server = Rpc.echoServer(serverReactor, transport);
            assertTrue(server.isRunning());
            serverReactor.close();
            assertTrue(NoLeaks.awaitTrue(() -> !server.isRunning(), Duration.ofSeconds(5)),
                    "issue 19: a health check must not report a server whose reactor is closed as up");
            server.close(); // still safe, returns
        } finally {
            serverReactor.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void responderSendAfterTheLastPartReleasesThePart(Transport transport) throws InterruptedException {
        AtomicInteger refused = new AtomicInteger();
        CountDownLatch handlerDone = new CountDownLatch(1);
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onStream((request, out) -> {
                        try {
                            out.send(Rpc.fill(out.newMessage(), "last"), false);
                            for (int i = 0; i < 3; i++) {
                                try {
                                    out.send(Rpc.fill(out.newMessage(), "too late"), false);
                                } catch (IllegalStateException e) {
                                    refused.incrementAndGet();
                                }
                                try {
                                    out.progress(out.newMessage());
                                } catch (IllegalStateException e) {
                                    refused.incrementAndGet();
                                }
                            }
                        } finally {
                            handlerDone.countDown();
                        }
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (Message r = client.call(Rpc.text(client, "x"), Rpc.CALL)) {
                assertEquals("last", Rpc.text(r));
            }
            // The response can reach the client before the handler tries its late sends: wait for it.
            Rpc.await(handlerDone);
            assertEquals(6, refused.get(), "every send and progress after the last part throws IllegalStateException");
            client.close();
            server.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor); // issue 19: the refused parts went back to the pool
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void stopWithAHandlerStuckPastTheDeadlineReturnsSoonAfterIt(Transport transport) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        entered.incrementAndGet();
                        boolean done = false;
                        while (!done) { // ignores its interrupt too
                            try {
                                done = release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException ignored) {
                                // keeps waiting
                            }
                        }
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<TofuException> stuck = callers.submit(() -> assertThrows(TofuException.class, () -> Rpc.call(client, "stuck")));
                assertTrue(NoLeaks.awaitTrue(() -> entered.get() == 1, Duration.ofSeconds(10)));
                long start = System.nanoTime();
                server.stop(Duration.ofMillis(500));
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(tookMs >= 450 && tookMs < 2_000, "stop waits for the deadline, then ends: " + tookMs + " ms");
                TofuException e = Rpc.all(List.of(stuck)).get(0);
                assertTrue(e.getMessage().contains("closed"), "the stuck call fails with the close: " + e);
                release.countDown();
            }
            client.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void stopFromAnInterruptedThreadEndsPromptlyAndKeepsTheFlag(Transport transport) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        try (Reactor serverReactor = Reactor.create(); Reactor clientReactor = Reactor.create()) {
            Server server = Server.builder(serverReactor).listen(transport.serverAddress())
                    .onRequest(request -> {
                        entered.incrementAndGet();
                        Rpc.await(release);
                        return request;
                    })
                    .start();
            Client client = Client.connect(clientReactor, server.addresses().get(0));
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<TofuException> running = threads.submit(() -> assertThrows(TofuException.class, () -> Rpc.call(client, "running")));
                assertTrue(NoLeaks.awaitTrue(() -> entered.get() == 1, Duration.ofSeconds(10)));
                Future<long[]> stopper = threads.submit(() -> {
                    Thread.currentThread().interrupt();
                    long start = System.nanoTime();
                    server.stop(Duration.ofSeconds(30));
                    return new long[] {(System.nanoTime() - start) / 1_000_000, Thread.currentThread().isInterrupted() ? 1 : 0};
                });
                long[] r = stopper.get(20, TimeUnit.SECONDS);
                assertTrue(r[0] < 5_000, "an interrupted stop skips its waits: " + r[0] + " ms, not the 30 s deadline");
                assertEquals(1, r[1], "the interrupt flag is kept");
                assertFalse(server.isRunning());
                Rpc.all(List.of(running)); // the running call failed with the close
                release.countDown();
            }
            client.close();
            NoLeaks.assertAtRest(clientReactor);
            NoLeaks.assertAtRest(serverReactor);
        }
    }
}
