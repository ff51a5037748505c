package dev.tofu.e2e;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.TofuInterruptedException;
import dev.tofu.internal.engine.Engine;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interrupts (issue 19): a blocking engine call on an interrupted thread ends promptly, says so with
 * {@link TofuInterruptedException} and keeps the flag; nothing is lost; a caller's interrupt never
 * closes a channel; closing a reactor from an interrupted thread still joins every channel thread.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EngineInterruptTest {
    /** How long "promptly" may take on a loaded two-core machine. */
    private static final long PROMPT_SECONDS = 5;
    private static final Options DIRECT = Options.of(64, 4096).withDirectWrite(true);

    /** What one waitReceive call on another thread did: returned a message (or null), or threw. */
    private record Outcome(Message message, Throwable error, boolean flagAfter, long nanos) {
    }

    /** Runs waitReceive(timeout) on a new virtual thread, interrupted before the call when {@code preInterrupt}. */
    private static CompletableFuture<Outcome> receiveOnThread(ChannelGroup g, Duration timeout, boolean preInterrupt,
                                                              CountDownLatch entered, AtomicReference<Thread> who) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().unstarted(() -> {
            if (preInterrupt) {
                Thread.currentThread().interrupt();
            }
            entered.countDown();
            long start = System.nanoTime();
            try {
                Message m = g.waitReceive(timeout);
                result.complete(new Outcome(m, null, Thread.currentThread().isInterrupted(), System.nanoTime() - start));
            } catch (Throwable e) {
                result.complete(new Outcome(null, e, Thread.currentThread().isInterrupted(), System.nanoTime() - start));
            }
        });
        who.set(t);
        t.start();
        return result;
    }

    private static void assertInterrupted(Outcome o, String what) {
        assertNull(o.message(), what + ": no message (none was queued)");
        assertInstanceOf(TofuInterruptedException.class, o.error(),
                what + ": an interrupted waitReceive throws TofuInterruptedException, not null (a timeout)");
        assertTrue(o.flagAfter(), what + ": the interrupt flag is kept");
        assertTrue(o.nanos() < TimeUnit.SECONDS.toNanos(PROMPT_SECONDS), what + ": promptly, took " + o.nanos() + " ns");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void waitReceiveOnAnInterruptedThreadThrowsKeepsTheFlagAndLosesNothing(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            int ch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            hello.close();

            for (Duration timeout : new Duration[] {ChannelGroup.INFINITE, Duration.ofSeconds(30), Duration.ofMillis(1)}) {
                AtomicReference<Thread> who = new AtomicReference<>();
                Outcome o = receiveOnThread(server, timeout, true, new CountDownLatch(1), who)
                        .get(PROMPT_SECONDS * 2, TimeUnit.SECONDS);
                assertInterrupted(o, "interrupted before waitReceive(" + timeout + ")");
            }

            // interrupted while waiting, forever or with a long timeout (which parks on the shared wait timer)
            for (Duration timeout : new Duration[] {ChannelGroup.INFINITE, Duration.ofSeconds(30)}) {
                CountDownLatch entered = new CountDownLatch(1);
                AtomicReference<Thread> who = new AtomicReference<>();
                CompletableFuture<Outcome> waiting = receiveOnThread(server, timeout, false, entered, who);
                assertTrue(entered.await(PROMPT_SECONDS, TimeUnit.SECONDS));
                // wait until the receiver parks (it is then inside waitReceive), not a fixed sleep
                assertTrue(NoLeaks.awaitTrue(() -> who.get().getState() == Thread.State.WAITING
                        || who.get().getState() == Thread.State.TIMED_WAITING, Duration.ofSeconds(PROMPT_SECONDS)), "the receiver waits");
                who.get().interrupt();
                assertInterrupted(waiting.get(PROMPT_SECONDS * 2, TimeUnit.SECONDS), "interrupted inside waitReceive(" + timeout + ")");
            }

            // a message that arrives after the interrupt is not lost: the next receive gets it
            Wire.send(ampe, client, ch, OpCode.REQUEST, 42, "after the interrupt");
            Message m = Wire.await(server, x -> x.opCode() == OpCode.REQUEST);
            assertEquals(42, m.messageId());
            assertEquals("after the interrupt", Probe.text(m));
            m.close();

            // a message already queued stays queued for the next receive when the receiver is interrupted
            Wire.send(ampe, client, ch, OpCode.REQUEST, 43, "queued");
            assertTrue(NoLeaks.awaitTrue(() -> ((Engine) reactor.ampe()).stats().groupQueueDepths().stream()
                    .mapToInt(Integer::intValue).sum() > 0, Duration.ofSeconds(PROMPT_SECONDS)), "the request is queued");
            Outcome o = receiveOnThread(server, ChannelGroup.INFINITE, true, new CountDownLatch(1), new AtomicReference<>())
                    .get(PROMPT_SECONDS * 2, TimeUnit.SECONDS);
            assertInstanceOf(TofuInterruptedException.class, o.error(), "interrupted: throws even with a message queued");
            Message queued = Wire.await(server, x -> x.opCode() == OpCode.REQUEST);
            assertEquals(43, queued.messageId(), "the queued message is still there");
            queued.close();

            // polling never waits, so an interrupt does not stop it
            Outcome poll = receiveOnThread(server, Duration.ZERO, true, new CountDownLatch(1), new AtomicReference<>())
                    .get(PROMPT_SECONDS * 2, TimeUnit.SECONDS);
            assertNull(poll.error(), "a poll (Duration.ZERO) on an interrupted thread returns: " + poll.error());
            assertTrue(poll.flagAfter(), "and keeps the flag");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aPostFromAnInterruptedThreadOnADirectWriteChannelIsDeliveredAndKeepsTheChannelOpen(Transport transport)
            throws Exception {
        try (Reactor reactor = Reactor.create(DIRECT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            int ch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.opCode(OpCode.HELLO_RESPONSE);
            server.post(hello);
            Wire.await(client, m -> m.opCode() == OpCode.HELLO_RESPONSE).close(); // connected, client queue empty

            for (int round = 1; round <= 3; round++) {
                long id = round;
                AtomicBoolean flagAfter = new AtomicBoolean();
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Thread poster = Thread.ofVirtual().start(() -> {
                    Thread.currentThread().interrupt();
                    try {
                        Message m = ampe.get(AllocationStrategy.ALWAYS);
                        m.opCode(OpCode.REQUEST).channel(ch).messageId(id);
                        client.post(m);
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                    flagAfter.set(Thread.currentThread().isInterrupted());
                });
                assertTrue(poster.join(Duration.ofSeconds(PROMPT_SECONDS)), "the post returns");
                assertNull(failed.get(), "post from an interrupted thread succeeds");
                assertTrue(flagAfter.get(), "the poster's interrupt flag is kept");
                Message got = Wire.await(server, m -> m.opCode() == OpCode.REQUEST || Wire.isCloseSignal(m, sch));
                assertEquals(OpCode.REQUEST, got.opCode(), "the request arrives; the channel did not close: " + got);
                assertEquals(id, got.messageId());
                // the server answers: the client channel is still open
                got.opCode(OpCode.RESPONSE);
                server.post(got);
                Message resp = Wire.await(client, m -> m.opCode() == OpCode.RESPONSE || Wire.isCloseSignal(m, ch));
                assertEquals(OpCode.RESPONSE, resp.opCode(), "the client channel is still open: " + resp);
                resp.close();
            }
            assertEquals(0, reactor.stats().closeReasons().values().stream().mapToLong(Long::longValue).sum(),
                    "no channel closed: " + reactor.stats().closeReasons());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void closingAReactorFromAnInterruptedThreadStillJoinsEveryChannelThread(Transport transport) {
        int clients = 100;
        Reactor reactor = Reactor.create(Options.DEFAULT);
        Engine engine = (Engine) reactor.ampe();
        boolean flagAfter;
        try {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
            for (int i = 0; i < clients; i++) {
                Wire.hello(ampe, client, l.clientAddress());
            }
            for (int i = 0; i < clients; i++) {
                Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST).close();
            }
            assertTrue(engine.liveEngineThreads() > 2 * clients, "channel threads run: " + engine.liveEngineThreads());
        } finally {
            Thread.currentThread().interrupt();
            reactor.close();
            flagAfter = Thread.interrupted(); // clears it for the rest of the test run
        }
        assertTrue(flagAfter, "close keeps the caller's interrupt flag");
        assertEquals(0, engine.liveEngineThreads(), "close joined every channel thread, interrupted or not");
        assertNotNull(reactor.stats());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void closingAGroupFromAnInterruptedThreadStillJoinsItsChannelThreads(Transport transport) {
        int clients = 50;
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Engine engine = (Engine) reactor.ampe();
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create(); // the listener, its server channels and the clients: all in one group
            Wire.Listener l = Wire.listen(ampe, g, transport.serverAddress());
            for (int i = 0; i < clients; i++) {
                Wire.hello(ampe, g, l.clientAddress());
            }
            for (int i = 0; i < clients; i++) {
                Wire.await(g, m -> m.opCode() == OpCode.HELLO_REQUEST).close();
            }
            assertTrue(engine.liveEngineThreads() > 2 * clients, "channel threads run: " + engine.liveEngineThreads());
            Thread.currentThread().interrupt();
            g.close();
            boolean flagAfter = Thread.interrupted();
            assertTrue(flagAfter, "close keeps the caller's interrupt flag");
            assertEquals(0, engine.liveEngineThreads(), "the group's close joined its channel threads, interrupted or not");
        } finally {
            Thread.interrupted();
        }
    }
}
