package dev.tofu.stress.sys;

import dev.tofu.stress.load.Runner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link CallingConnection} with fake callers, driven as the Runner drives it: at most K sent
 * ahead, received in send order. Every wait has a deadline; nothing sleeps to synchronise.
 */
class CallingConnectionTest {
    private static final long LONG_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Echoes the request; now and then yields so the callers finish out of order. */
    private static final CallingConnection.Caller ECHO = (request, timeoutNanos, reply) -> {
        if (ThreadLocalRandom.current().nextInt(8) == 0) {
            Thread.yield();
        }
        System.arraycopy(request.data, 0, reply.room(request.length), 0, request.length);
        reply.length = request.length;
        return true;
    };

    private static int fill(byte[] buf, long seq) {
        int n = 8 + (int) (seq % 120); // lengths vary, so buffers grow and get swapped around
        for (int i = 0; i < 8; i++) {
            buf[i] = (byte) (seq >>> (56 - 8 * i));
        }
        for (int i = 8; i < n; i++) {
            buf[i] = (byte) (seq * 31 + i);
        }
        return n;
    }

    /** Checks that {@code r} is the echo of message {@code seq}; allocates nothing unless it fails. */
    private static void check(Reply r, long seq) {
        int n = 8 + (int) (seq % 120);
        if (r.length != n || r.status != 0) {
            fail("reply " + seq + ": length " + r.length + ", status " + r.status);
        }
        long carried = seqOf(r.data);
        if (carried != seq) {
            fail("reply " + seq + " carries seq " + carried);
        }
        for (int i = 8; i < n; i++) {
            if (r.data[i] != (byte) (seq * 31 + i)) {
                fail("reply " + seq + " differs at byte " + i);
            }
        }
    }

    private static long seqOf(CallingConnection.Request request) {
        return seqOf(request.data);
    }

    private static long seqOf(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + LONG_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within 10 s: " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Sends {@code n} messages, at most {@code k} ahead, and checks every reply in order. */
    private static void drive(Connection c, int k, long n) throws IOException {
        byte[] buf = new byte[256];
        Reply r = new Reply(64);
        long sent = 0;
        for (long received = 0; received < n; received++) {
            while (sent < n && sent - received < k) {
                c.send(buf, fill(buf, sent), sent, false);
                sent++;
            }
            if (!c.receive(r, LONG_NANOS)) {
                fail("no reply " + received + " within 10 s");
            }
            check(r, received);
        }
    }

    @Test
    @Timeout(60)
    void sixtyFourInFlightEchoTwoHundredThousandMessagesInOrderWithNoHarnessAllocationPerCall() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        CallingConnection c = new CallingConnection(ECHO, 64, closed::incrementAndGet, () -> fail("aborted"));
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long[] alloc = new long[2];
        Thread driver = Thread.ofVirtual().start(() -> {
            try {
                drive(c, 64, 100_000);
                alloc[0] = Runner.allocatedBytes();
                drive(c, 64, 100_000);
                alloc[1] = Runner.allocatedBytes();
                c.close(r -> fail("late reply"));
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        assertTrue(driver.join(java.time.Duration.ofSeconds(50)), "driver done");
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
        assertEquals(1, closed.get());
        assertEquals(0, c.liveCallers());
        if (alloc[0] > 0) {
            double perCall = (alloc[1] - alloc[0]) / 100_000.0;
            // the whole JVM's allocation: the JDK's task per wake-up of a virtual thread (~24 B: the
            // caller's, and the driver's when it had to park) and little else; a queue node, a boxed
            // key, a map node or a request copy per call would each add as much
            assertTrue(perCall < 64, "steady state allocates " + perCall + " B per call");
        }
    }

    @Test
    @Timeout(30)
    void aCallThatFailsReachesTheDriverOnItsOwnReceive() throws Exception {
        CallingConnection.Caller failing = (request, timeoutNanos, reply) -> {
            if (seqOf(request) == 500) {
                throw new IOException("boom at 500");
            }
            return ECHO.call(request, timeoutNanos, reply);
        };
        AtomicInteger aborted = new AtomicInteger();
        CallingConnection c = new CallingConnection(failing, 16, () -> { }, aborted::incrementAndGet);
        byte[] buf = new byte[256];
        Reply r = new Reply(64);
        long sent = 0;
        for (long received = 0; received < 500; received++) {
            while (sent - received < 16) {
                c.send(buf, fill(buf, sent), sent, false);
                sent++;
            }
            assertTrue(c.receive(r, LONG_NANOS));
            check(r, received);
        }
        IOException e = assertThrows(IOException.class, () -> c.receive(r, LONG_NANOS));
        assertEquals("call failed: boom at 500", e.getMessage());
        assertTrue(c.receive(r, LONG_NANOS), "the calls after it still answer");
        check(r, 501);
        c.abort();
        assertEquals(1, aborted.get());
        await(() -> c.liveCallers() == 0, "callers end after abort");
    }

    @Test
    @Timeout(30)
    void aCallThatTimesOutIsReportedAsAFailedCall() throws Exception {
        CallingConnection.Caller late = (request, timeoutNanos, reply) ->
                seqOf(request) != 3 && ECHO.call(request, timeoutNanos, reply);
        CallingConnection c = new CallingConnection(late, 4, () -> { }, () -> { });
        byte[] buf = new byte[256];
        Reply r = new Reply(64);
        for (long s = 0; s < 4; s++) {
            c.send(buf, fill(buf, s), s, false);
        }
        for (long s = 0; s < 3; s++) {
            assertTrue(c.receive(r, LONG_NANOS));
            check(r, s);
        }
        IOException e = assertThrows(IOException.class, () -> c.receive(r, LONG_NANOS));
        assertEquals("call failed: no answer within 30 s", e.getMessage());
        c.close(x -> fail("late reply"));
        assertEquals(0, c.liveCallers());
    }

    @Test
    @Timeout(30)
    void aReceiveWithNothingAnsweredReturnsFalseAfterItsTimeoutAndTheAnswerStillComes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CallingConnection.Caller held = (request, timeoutNanos, reply) -> {
            try {
                if (!release.await(20, TimeUnit.SECONDS)) {
                    return false;
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return ECHO.call(request, timeoutNanos, reply);
        };
        CallingConnection c = new CallingConnection(held, 8, () -> { }, () -> { });
        byte[] buf = new byte[256];
        Reply r = new Reply(64);
        c.send(buf, fill(buf, 0), 0, false);
        long t0 = System.nanoTime();
        assertFalse(c.receive(r, TimeUnit.MILLISECONDS.toNanos(50)));
        long waited = System.nanoTime() - t0;
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(50), "waited " + waited + " ns");
        assertTrue(waited < TimeUnit.SECONDS.toNanos(5), "waited " + waited + " ns");
        assertFalse(c.receive(r, 0), "a zero timeout does not wait");
        release.countDown();
        assertTrue(c.receive(r, LONG_NANOS));
        check(r, 0);
        c.close(x -> fail("late reply"));
    }

    @Test
    @Timeout(30)
    void closeEndsCallersParkedOnEmptySlotsAndThenClosesTheChannel() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CallingConnection.Caller counting = (request, timeoutNanos, reply) -> {
            calls.incrementAndGet();
            return ECHO.call(request, timeoutNanos, reply);
        };
        AtomicInteger closedWithCallers = new AtomicInteger(-1);
        CallingConnection[] self = new CallingConnection[1];
        CallingConnection c = new CallingConnection(counting, 32, () -> closedWithCallers.set(self[0].liveCallers()),
                () -> fail("aborted"));
        self[0] = c;
        drive(c, 32, 100);
        assertEquals(32, c.liveCallers(), "callers wait for work");
        long t0 = System.nanoTime();
        c.close(r -> fail("late reply"));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4), "close did not wait for its join deadline");
        assertEquals(0, closedWithCallers.get(), "the channel closes after every caller ended");
        assertEquals(100, calls.get());
    }

    @Test
    @Timeout(30)
    void abortFromAnotherThreadFailsABlockedReceiveAndEndsTheCallers() throws Exception {
        CountDownLatch torn = new CountDownLatch(1);
        AtomicInteger inCall = new AtomicInteger();
        CallingConnection.Caller hanging = (request, timeoutNanos, reply) -> {
            inCall.incrementAndGet();
            try {
                if (torn.await(20, TimeUnit.SECONDS)) {
                    throw new IOException("channel torn down");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return false;
        };
        CallingConnection c = new CallingConnection(hanging, 8, () -> fail("closed"), torn::countDown);
        byte[] buf = new byte[256];
        for (long s = 0; s < 4; s++) {
            c.send(buf, fill(buf, s), s, false);
        }
        await(() -> inCall.get() == 4, "four calls running");
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread driver = Thread.ofPlatform().start(() -> {
            try {
                outcome.set(c.receive(new Reply(64), LONG_NANOS));
            } catch (IOException e) {
                outcome.set(e);
            }
        });
        await(() -> driver.getState() == Thread.State.WAITING, "driver parked in receive");
        Thread aborter = Thread.ofVirtual().start(c::abort);
        assertTrue(aborter.join(java.time.Duration.ofSeconds(10)));
        assertTrue(driver.join(java.time.Duration.ofSeconds(10)), "receive returned");
        assertInstanceOf(IOException.class, outcome.get(), "receive failed: " + outcome.get());
        await(() -> c.liveCallers() == 0, "callers end after abort");
        c.abort(); // idempotent
    }

    @Test
    @Timeout(30)
    void abortWakesADriverWaitingOnAnIdleSlot() throws Exception {
        CallingConnection c = new CallingConnection(ECHO, 4, () -> { }, () -> { });
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread driver = Thread.ofVirtual().start(() -> {
            try {
                outcome.set(c.receive(new Reply(64), LONG_NANOS)); // nothing sent: only abort ends this early
            } catch (IOException e) {
                outcome.set(e);
            }
        });
        await(() -> driver.getState() == Thread.State.WAITING, "driver parked in receive");
        c.abort();
        assertTrue(driver.join(java.time.Duration.ofSeconds(5)), "receive returned well before its 10 s");
        assertInstanceOf(IOException.class, outcome.get());
    }

    @Test
    @Timeout(30)
    void sendingMoreThanKAheadIsRefused() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CallingConnection.Caller held = (request, timeoutNanos, reply) -> {
            try {
                return release.await(20, TimeUnit.SECONDS) && ECHO.call(request, timeoutNanos, reply);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        };
        CallingConnection c = new CallingConnection(held, 2, () -> { }, release::countDown);
        byte[] buf = new byte[256];
        c.send(buf, fill(buf, 0), 0, false);
        c.send(buf, fill(buf, 1), 1, false);
        assertThrows(IOException.class, () -> c.send(buf, fill(buf, 2), 2, false));
        c.abort();
    }

    @Test
    @Timeout(30)
    void oneInFlightCallsOnTheDriverThread() throws Exception {
        AtomicReference<Thread> on = new AtomicReference<>();
        CallingConnection.Caller recording = (request, timeoutNanos, reply) -> {
            on.set(Thread.currentThread());
            return seqOf(request) != 7 && ECHO.call(request, timeoutNanos, reply);
        };
        CallingConnection c = new CallingConnection(recording, 1, () -> { }, () -> { });
        Reply r = new Reply(64);
        assertFalse(c.receive(r, 0), "nothing sent");
        byte[] buf = new byte[256];
        for (long s = 0; s < 10; s++) {
            c.send(buf, fill(buf, s), s, false);
            if (s == 7) {
                assertFalse(c.receive(r, LONG_NANOS), "a timed-out call is a receive that found nothing");
                assertFalse(c.receive(r, 0), "and the request is gone");
            } else {
                assertTrue(c.receive(r, LONG_NANOS));
                check(r, s);
            }
            assertEquals(Thread.currentThread(), on.get());
        }
        assertEquals(0, c.liveCallers());
        c.close(x -> fail("late reply"));
    }
}
