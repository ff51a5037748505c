package dev.tofu.recipes;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.MessageRole;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The end-to-end scenarios shared by the recipe tests (R1, R11, R13, R14) and the robustness tests
 * (§8 "loop" and "simm"). Each one builds its own engine(s), asserts as it goes, and leaves them at
 * rest: no open channel, every message back in its pool.
 */
public final class Scenarios {
    private Scenarios() {
    }

    /** R1: create+close an engine; create+destroy a group; the destroyed group refuses further use. */
    public static void lifecycle() {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            ampe.destroy(g);
            TofuException e = assertThrows(TofuException.class, () -> g.waitReceive(ChannelGroup.SEC),
                    "R1/§6.3: a destroyed group raises ShutdownStarted");
            assertEquals(Status.SHUTDOWN_STARTED, e.status(), "R1/§6.3");
            NoLeaks.assertAtRest(reactor);
        }
    }

    /** Connect, one request/response, graceful ByeRequest/ByeResponse close, listener closed (§5.3–§5.5). */
    public static void connectDisconnect(Transport transport) {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            server.post(hello.opCode(OpCode.HELLO_RESPONSE));
            Wire.await(client, m -> m.opCode() == OpCode.HELLO_RESPONSE && !m.isFromEngine()).close();

            long id = Wire.send(ampe, client, cch, OpCode.REQUEST, 0, "x").messageId();
            Message req = Wire.await(server, m -> m.opCode() == OpCode.REQUEST);
            server.post(req.opCode(OpCode.RESPONSE));
            Message resp = Wire.await(client, m -> m.opCode() == OpCode.RESPONSE);
            assertEquals(id, resp.messageId(), "§5.4: the response keeps the request's message_id");
            resp.close();

            Wire.send(ampe, client, cch, OpCode.BYE_REQUEST, 0, null);
            Message bye = Wire.await(server, m -> m.opCode() == OpCode.BYE_REQUEST);
            server.post(bye.opCode(OpCode.BYE_RESPONSE));
            Wire.await(client, m -> Wire.isCloseSignal(m, cch)).close();
            Wire.await(server, m -> Wire.isCloseSignal(m, sch)).close();
            closeListener(ampe, server, l.channel());
            ampe.destroy(client);
            ampe.destroy(server);
            NoLeaks.assertAtRest(reactor);
        }
    }

    /**
     * R13: one thread, two engines. The client on engine A retries HelloRequest while nothing
     * listens; each failure is followed by the channel's close Signal, which triggers the next
     * attempt. When {@code failuresBeforeServer} failures were counted the server starts on engine
     * B; the next attempt connects; the client's ByeRequest is echoed as ByeResponse.
     *
     * @return the failure statuses seen before the connect succeeded
     */
    public static List<Status> reconnectSingleThread(Transport transport, int failuresBeforeServer) {
        Endpoints at = Endpoints.fresh(transport);
        List<Status> failures = new ArrayList<>();
        try (Reactor a = Reactor.create(); Reactor b = Reactor.create()) {
            Ampe ca = a.ampe();
            Ampe sa = b.ampe();
            ChannelGroup client = ca.create();
            ChannelGroup server = sa.create();
            int ch = Wire.hello(ca, client, at.client()).channel();
            int listener = -1;
            while (listener < 0) {
                Message m = Wire.await(client, x -> true);
                int seen = m.channel();
                boolean failed = m.isFromEngine() && m.opCode() == OpCode.HELLO_RESPONSE;
                boolean closed = Wire.isCloseSignal(m, ch);
                Status status = m.status();
                String text = m.toString();
                m.close();
                assertEquals(ch, seen, "R13/§5.3: failure bundle is for the attempt's channel");
                if (failed) {
                    assertNotEquals(Status.SUCCESS, status, "R13/§5.3: failed connect carries a status");
                    failures.add(status);
                } else if (closed) {
                    assertEquals(failures.size() > 0, true, "R13/§5.6: the close Signal follows the failure");
                    if (failures.size() == failuresBeforeServer) {
                        listener = Wire.listen(sa, server, at.server()).channel();
                    }
                    ch = Wire.hello(ca, client, at.client()).channel();     // next attempt
                } else {
                    fail("R13: unexpected message while no server listens: " + text);
                }
            }
            final int cch = ch;
            Message hello = awaitHelloOrClientNews(server, client, transport);
            int sch = hello.channel();
            server.post(hello.opCode(OpCode.HELLO_RESPONSE));
            Message hr = Wire.await(client, x -> true);
            assertEquals(OpCode.HELLO_RESPONSE, hr.opCode(), "R13: connect succeeds once the server runs: " + hr);
            assertEquals(Origin.APPLICATION, hr.origin(), "R13/§5.3: the HelloResponse comes from the server");
            assertEquals(cch, hr.channel(), "R13/§5.3: on the client's channel");
            hr.close();

            Wire.send(ca, client, cch, OpCode.BYE_REQUEST, 0, null);
            Message bye = Wire.await(server, x -> x.opCode() == OpCode.BYE_REQUEST);
            server.post(bye.opCode(bye.opCode().echo()));
            List<Message> end = Wire.collectUntil(client, x -> Wire.isCloseSignal(x, cch));
            try {
                Message first = end.get(0);
                assertEquals(OpCode.BYE_RESPONSE, first.opCode(), "R13: client receives the echoed ByeResponse");
                assertEquals(cch, first.channel(), "R13: on its channel");
                assertEquals(Origin.APPLICATION, first.origin(), "R13/§5.5.1");
            } finally {
                end.forEach(Message::close);
            }
            Wire.await(server, x -> Wire.isCloseSignal(x, sch)).close();
            closeListener(sa, server, listener);
            ca.destroy(client);
            sa.destroy(server);
            NoLeaks.assertAtRest(a);
            NoLeaks.assertAtRest(b);
        } finally {
            at.cleanUp();
        }
        return failures;
    }

    /**
     * R14: two threads, one engine. The client thread reposts HelloRequest on every failure and,
     * once connected (HelloResponse), closes with ByeSignal; the server thread starts after the
     * client failed {@code failuresBeforeServer} times and echoes every request; the main thread
     * stops both with updateReceiver(null).
     *
     * @return how many connect attempts failed
     */
    public static int reconnectTwoThreads(Transport transport, int failuresBeforeServer) throws InterruptedException {
        Endpoints at = Endpoints.fresh(transport);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger echoed = new AtomicInteger();
        CountDownLatch failedEnough = new CountDownLatch(failuresBeforeServer);
        CountDownLatch closedAfterConnect = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        java.util.Deque<String> seen = new java.util.concurrent.ConcurrentLinkedDeque<>(); // the client's last messages, for a failure
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup cg = ampe.create();
            ChannelGroup sg = ampe.create();
            Thread client = Thread.ofVirtual().name("r14-client").start(guard(error, () -> {
                int ch = Wire.hello(ampe, cg, at.client()).channel();
                seen.add("hello on " + ch);
                boolean connected = false;
                while (true) {
                    Message m = cg.waitReceive(ChannelGroup.INFINITE);
                    seen.add(String.valueOf(m));
                    while (seen.size() > 12) {
                        seen.pollFirst();
                    }
                    try {
                        if (m.status() == Status.RECEIVER_UPDATE) {
                            return;
                        }
                        if (m.channel() != ch) {
                            throw new AssertionError("R14: message for another channel: " + m);
                        }
                        if (m.isFromEngine() && m.opCode() == OpCode.HELLO_RESPONSE) {
                            failures.incrementAndGet();
                            failedEnough.countDown();
                        } else if (Wire.isCloseSignal(m, ch)) {
                            if (connected) {
                                closedAfterConnect.countDown();
                            } else {
                                ch = Wire.hello(ampe, cg, at.client()).channel();   // repost on failure
                                seen.add("hello on " + ch);
                            }
                        } else if (!m.isFromEngine() && m.opCode() == OpCode.HELLO_RESPONSE) {
                            connected = true;
                            Wire.send(ampe, cg, ch, OpCode.BYE_SIGNAL, 0, null);
                        }
                    } finally {
                        m.close();
                    }
                }
            }));
            assertTrue(failedEnough.await(Wire.WAIT.toSeconds(), TimeUnit.SECONDS),
                    "R14: the client fails while no server listens");
            Thread server = Thread.ofVirtual().name("r14-server").start(guard(error, () -> {
                Wire.listen(ampe, sg, at.server());
                while (true) {
                    Message m = sg.waitReceive(ChannelGroup.INFINITE);
                    if (m.status() == Status.RECEIVER_UPDATE || m.isFromEngine()
                            || m.opCode().role() != MessageRole.REQUEST) {
                        boolean stop = m.status() == Status.RECEIVER_UPDATE;
                        m.close();
                        if (stop) {
                            return;
                        }
                        continue;
                    }
                    try {
                        sg.post(m.opCode(m.opCode().echo()));                 // echo every request
                        echoed.incrementAndGet();
                    } catch (TofuException closed) {
                        m.close();
                    }
                }
            }));
            boolean done = closedAfterConnect.await(Wire.WAIT.toSeconds(), TimeUnit.SECONDS);
            cg.updateReceiver(null);
            sg.updateReceiver(null);
            client.join(Wire.WAIT);
            server.join(Wire.WAIT);
            if (error.get() != null) {
                throw new AssertionError("R14: a thread failed", error.get());
            }
            assertTrue(done, () -> "R14: the client connected and closed its channel with ByeSignal (" + transport + ", "
                    + failures.get() + " failed connects, " + echoed.get() + " echoed; the client's last messages: " + seen + ")");
            assertTrue(!client.isAlive() && !server.isAlive(), "R14: updateReceiver(null) stops both threads");
            assertTrue(echoed.get() >= 1, "R14: the server echoed the HelloRequest");
            ampe.destroy(cg);
            ampe.destroy(sg);
            NoLeaks.assertAtRest(reactor);
        } finally {
            at.cleanUp();
        }
        return failures.get();
    }

    /** Waits for the server's HelloRequest; fails at once, saying why, if the client hears something first. */
    private static Message awaitHelloOrClientNews(ChannelGroup server, ChannelGroup client, Transport transport) {
        long deadline = System.nanoTime() + Wire.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Message m = server.waitReceive(java.time.Duration.ofMillis(20));
            if (m != null) {
                if (m.opCode() == OpCode.HELLO_REQUEST) {
                    return m;
                }
                m.close();
            }
            Message news = client.waitReceive(java.time.Duration.ZERO);
            if (news != null) {
                String text = news.toString();
                news.close();
                fail("R13 " + transport + ": the server listens but the client got " + text + " instead of a connection");
            }
        }
        fail("R13 " + transport + ": no HelloRequest reached the server within " + Wire.WAIT);
        return null;
    }

    /** Closes a listener with ByeSignal and checks its close bundle (§5.2 step 4). */
    public static void closeListener(Ampe ampe, ChannelGroup group, int listener) {
        Message bye = ampe.get(AllocationStrategy.ALWAYS);
        group.post(bye.opCode(OpCode.BYE_SIGNAL).channel(listener));
        List<Message> bundle = Wire.collectUntil(group, m -> Wire.isCloseSignal(m, listener));
        try {
            Message back = bundle.stream().filter(m -> m.opCode() == OpCode.BYE_SIGNAL).findFirst()
                    .orElseThrow(() -> new AssertionError("§5.2: the ByeSignal comes back: " + bundle));
            assertEquals(Status.CHANNEL_CLOSED, back.status(), "§5.2 step 4: returned with channel_closed");
        } finally {
            bundle.forEach(Message::close);
        }
    }

    /** Runs {@code body}, recording the first failure in {@code error}. */
    public static Runnable guard(AtomicReference<Throwable> error, ThrowingRunnable body) {
        return () -> {
            try {
                body.run();
            } catch (Throwable t) {
                error.compareAndSet(null, t);
            }
        };
    }

    /** A Runnable that may throw. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
