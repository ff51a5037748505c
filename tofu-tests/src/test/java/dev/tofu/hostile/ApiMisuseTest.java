package dev.tofu.hostile;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * API misuse (API.md "Ownership rules", "Threading rules"; PROTOCOL.md §2.2, §6.3, §6.5, §6.9): each
 * misuse gets a clear exception or status, never a hang or a damaged engine. After every test the
 * same reactor still serves an echo round trip through a client channel of its own.
 */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class ApiMisuseTest {
    private static final Duration PROMPT = Duration.ofSeconds(5);
    private static EchoServer server;
    private static Ampe ampe;

    @BeforeAll
    static void start() {
        server = new EchoServer(Wire.Transport.TCP, Options.DEFAULT);
        ampe = server.ampe;
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The reactor is intact: a fresh group connects to its own listener and gets an echo back. */
    @AfterEach
    void theSameReactorStillEchoes() {
        ChannelGroup g = ampe.create();
        try {
            int ch = Wire.hello(ampe, g, server.clientAddress).channel();
            Message hr = Wire.await(g, m -> m.channel() == ch);
            assertEquals(OpCode.HELLO_RESPONSE, hr.opCode(), "after the misuse the reactor still connects: " + hr);
            hr.close();
            Wire.send(ampe, g, ch, OpCode.REQUEST, 4242, "still alive");
            Message r = Wire.await(g, m -> m.channel() == ch);
            assertEquals(OpCode.RESPONSE, r.opCode());
            assertEquals("still alive", Probe.text(r), "after the misuse the reactor still echoes");
            r.close();
            Probe.byeSignal(ampe, g, ch);
            Probe.awaitCloseSignals(g, ch);
        } finally {
            ampe.destroy(g);
        }
    }

    @Test
    void postAndUpdateReceiverAfterDestroyRaiseShutdownStartedAndLeaveTheMessageWithTheCaller() {
        ChannelGroup g = ampe.create();
        ampe.destroy(g);
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        server.clientAddress.format(m);
        TofuException e = assertThrows(TofuException.class, () -> g.post(m), "§2.2 rule 13: post after destroy");
        assertEquals(Status.SHUTDOWN_STARTED, e.status());
        assertDoesNotThrow(() -> m.messageId(7), "§2.2: the failed message stays the caller's");
        assertEquals(Status.SHUTDOWN_STARTED,
                assertThrows(TofuException.class, () -> g.updateReceiver(m)).status(), "§6.7: updateReceiver after destroy");
        assertDoesNotThrow(() -> m.messageId(8), "the message stays the caller's after a refused updateReceiver");
        assertEquals(Status.SHUTDOWN_STARTED,
                assertThrows(TofuException.class, () -> g.updateReceiver(null)).status(), "§6.7: updateReceiver(null) after destroy");
        assertEquals(Status.SHUTDOWN_STARTED,
                assertThrows(TofuException.class, () -> g.waitReceive(Duration.ZERO)).status(), "§6.5: waitReceive after destroy");
        m.close();
    }

    @Test
    void destroyingAGroupTwiceOrClosingItAfterDestroyReturnsPromptly() {
        ChannelGroup g = ampe.create();
        int ch = Wire.hello(ampe, g, server.clientAddress).channel(); // with an open channel in it
        Probe.awaitTrue(() -> server.reactor.stats().openClients() >= 1, Wire.WAIT, "client channel open");
        assertTimeoutPreemptively(PROMPT, () -> ampe.destroy(g), "§6.3: destroy");
        assertTimeoutPreemptively(PROMPT, () -> {
            try {
                ampe.destroy(g);
                g.close();
            } catch (TofuException e) {
                assertEquals(Status.SHUTDOWN_STARTED, e.status(), "a second destroy may only say shutdown_started");
            }
        }, "§6.3: a second destroy is harmless");
        Probe.awaitTrue(() -> server.reactor.stats().openClients() == 0, Wire.WAIT, "§6.3: destroy closed channel " + ch);
    }

    @Test
    void aSecondConcurrentWaitReceiveGetsNotAllowed() throws Exception {
        ChannelGroup g = ampe.create();
        try {
            CompletableFuture<Message> first = new CompletableFuture<>();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    first.complete(g.waitReceive(ChannelGroup.INFINITE));
                } catch (Throwable e) {
                    first.completeExceptionally(e);
                }
            });
            Probe.awaitTrue(() -> waiter.getState() == Thread.State.WAITING || waiter.getState() == Thread.State.TIMED_WAITING,
                    Wire.WAIT, "the first receiver blocks");
            TofuException e = assertThrows(TofuException.class, () -> g.waitReceive(Duration.ofMillis(50)),
                    "API.md threading rules: a second concurrent waitReceive");
            assertEquals(Status.NOT_ALLOWED, e.status());
            g.updateReceiver(null);
            Message woke = first.get(Wire.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(Status.RECEIVER_UPDATE, woke.status(), "the first receiver is unharmed and wakes");
            woke.close();
            waiter.join();
            assertNull(g.waitReceive(Duration.ZERO), "the group works for the next single receiver");
        } finally {
            ampe.destroy(g);
        }
    }

    /**
     * The message is held by the engine deterministically: it sits in the queue of a group nobody
     * reads (§6.7). Every use of the handed-over reference is refused, and what comes back from
     * the queue is the same storage under a new reference (a new lease). (The same holds once the
     * storage is recycled and leased to someone else: see StaleReferenceRoundTripTest.)
     */
    @Test
    void aMessageHandedToTheEngineTwiceIsRefusedWithIllegalStateException() {
        ChannelGroup g = ampe.create();
        try {
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(OpCode.REQUEST).messageId(99);
            g.updateReceiver(m);
            assertThrows(IllegalStateException.class, () -> g.post(m), "API.md: post of a message the engine owns");
            assertThrows(IllegalStateException.class, () -> g.updateReceiver(m), "API.md: a second updateReceiver");
            assertThrows(IllegalStateException.class, () -> m.opCode(OpCode.SIGNAL), "API.md: a setter while the engine owns it");
            assertThrows(IllegalStateException.class, () -> m.body().append(new byte[] {1}), "API.md: a body change while the engine owns it");
            assertDoesNotThrow(m::close, "API.md: close() of an engine-owned message is a no-op");
            ampe.put(m); // also a no-op
            Message back = g.waitReceive(Wire.WAIT);
            assertNotSame(m, back, "API.md: what comes back is a new lease, never the old reference");
            assertEquals(99, back.messageId());
            assertEquals(Status.RECEIVER_UPDATE, back.status());
            assertEquals(OpCode.REQUEST, back.opCode(), "the refused setter changed nothing");
            back.close();
        } finally {
            ampe.destroy(g);
        }
    }

    @Test
    void aMessageUsedAfterPutIsRefusedWithIllegalStateException() {
        ChannelGroup g = ampe.create();
        try {
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            ampe.put(m);
            assertThrows(IllegalStateException.class, () -> m.opCode(OpCode.REQUEST), "API.md: a setter after put");
            // API.md lists body() itself among the refused uses; the implementation (Message.body() Javadoc:
            // "changes need application ownership") refuses every change made through it instead.
            assertThrows(IllegalStateException.class, () -> m.body().append(new byte[] {1}), "API.md: changing the body after put");
            assertThrows(IllegalStateException.class, () -> m.headers().append("a", "b"), "API.md: changing the headers after put");
            assertThrows(IllegalStateException.class, () -> g.post(m), "API.md: post after put");
            assertThrows(IllegalStateException.class, () -> g.updateReceiver(m), "API.md: updateReceiver after put");
            assertDoesNotThrow(() -> ampe.put(m), "API.md: put of a pooled message does nothing");
            assertDoesNotThrow(m::close);
            Message again = ampe.get(AllocationStrategy.ALWAYS);
            assertDoesNotThrow(() -> again.opCode(OpCode.REQUEST), "a message handed out again is usable");
            again.close();
        } finally {
            ampe.destroy(g);
        }
    }

    @Test
    void nullArgumentsGiveClearErrorsAndUpdateReceiverNullIsLegal() {
        ChannelGroup g = ampe.create();
        try {
            assertEquals(Status.NULL_MESSAGE, assertThrows(TofuException.class, () -> g.post(null)).status(), "§2.2 rule 0");
            assertDoesNotThrow(() -> ampe.put(null), "§6.2: put(null) does nothing");
            assertThrows(NullPointerException.class, () -> g.waitReceive(null), "waitReceive(null)");
            assertThrows(NullPointerException.class, () -> ampe.get(null), "get(null)");
            assertThrows(NullPointerException.class, () -> Reactor.create(null), "Reactor.create(null)");
            assertThrows(RuntimeException.class, () -> Address.tcpClient(null, 1), "tcpClient(null, port)");
            assertThrows(RuntimeException.class, () -> Address.tcpServer(null, 1), "tcpServer(null, port)");
            assertThrows(NullPointerException.class, () -> Address.udsClient(null), "udsClient(null)");
            assertThrows(NullPointerException.class, () -> Address.udsServer(null), "udsServer(null)");
            assertThrows(NullPointerException.class, () -> Address.parse(null), "parse(null)");
            assertThrows(NullPointerException.class, () -> server.clientAddress.format(null), "format(null)");
            assertThrows(NullPointerException.class, () -> Address.udsServer(Path.of("/tmp/x")).format(null), "format(null)");
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            assertThrows(NullPointerException.class, () -> m.opCode(null), "opCode(null)");
            assertThrows(NullPointerException.class, () -> m.status(null), "status(null)");
            m.close();
            // legal: a fresh receiver_update Signal (§6.7)
            g.updateReceiver(null);
            Message s = g.waitReceive(Wire.WAIT);
            assertNotNull(s);
            assertEquals(Origin.ENGINE, s.origin());
            assertEquals(Status.RECEIVER_UPDATE, s.status());
            assertEquals(0, s.channel());
            s.close();
        } finally {
            ampe.destroy(g);
        }
    }

    @Test
    void destroyingAnotherReactorsGroupIsRefusedAndLeavesItWorking() {
        try (Reactor other = Reactor.create(Options.DEFAULT)) {
            ChannelGroup foreign = other.ampe().create();
            TofuException e = assertThrows(TofuException.class, () -> ampe.destroy(foreign), "destroy of a foreign group");
            assertEquals(Status.INVALID_CHANNEL_GROUP, e.status());
            assertEquals(Status.INVALID_CHANNEL_GROUP, assertThrows(TofuException.class, () -> ampe.destroy(null)).status(),
                    "destroy(null)");
            Message m = other.ampe().get(AllocationStrategy.ALWAYS);
            m.body().append("x".getBytes(StandardCharsets.UTF_8));
            foreign.updateReceiver(m);
            Message back = foreign.waitReceive(Wire.WAIT);
            assertEquals("x", Probe.text(back), "the foreign group was not touched");
            back.close();
        }
    }

    @Test
    void everyCallAfterReactorCloseRaisesShutdownStartedAndCloseIsIdempotent() {
        Reactor r = Reactor.create(Options.DEFAULT);
        Ampe a = r.ampe();
        ChannelGroup g = a.create();
        Message m = a.get(AllocationStrategy.ALWAYS);
        server.clientAddress.format(m);
        assertTimeoutPreemptively(PROMPT, r::close);
        assertTimeoutPreemptively(PROMPT, r::close, "§6.9: close is idempotent");
        assertEquals(Status.SHUTDOWN_STARTED, assertThrows(TofuException.class, () -> g.post(m)).status(), "§6.9: post");
        assertEquals(Status.SHUTDOWN_STARTED, assertThrows(TofuException.class, () -> a.get(AllocationStrategy.ALWAYS)).status(), "§6.9: get");
        assertEquals(Status.SHUTDOWN_STARTED, assertThrows(TofuException.class, a::create).status(), "§6.9: create");
        assertEquals(Status.SHUTDOWN_STARTED, assertThrows(TofuException.class, () -> g.waitReceive(Duration.ZERO)).status(), "§6.9: waitReceive");
        assertEquals(Status.SHUTDOWN_STARTED, assertThrows(TofuException.class, () -> g.updateReceiver(null)).status(), "§6.9: updateReceiver");
        assertDoesNotThrow(() -> a.put(m), "§6.2: after close, put discards");
        assertTimeoutPreemptively(PROMPT, () -> {
            try {
                a.destroy(g);
            } catch (TofuException e) {
                assertEquals(Status.SHUTDOWN_STARTED, e.status());
            }
        }, "destroy after close");
    }
}
