package dev.tofu.testing;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/** Assertions shared by the end-to-end engine tests (beyond {@link Wire}). */
public final class Probe {
    private Probe() {
    }

    /**
     * Asserts that posting {@code m} fails with {@code expected}, that the message's status byte now
     * equals it, and that the message is still the caller's (a setter works) (§2.2).
     */
    public static void assertPostFails(ChannelGroup group, Message m, Status expected, String spec) {
        TofuException e = assertThrows(TofuException.class, () -> group.post(m), spec + ": post must fail");
        assertEquals(expected, e.status(), spec + ": error status");
        assertEquals(expected, m.status(), "§2.2: on failure the message's status byte is set to the error");
        assertDoesNotThrow(() -> m.messageId(m.messageId()), "§2.2: on failure the message stays owned by the caller");
    }

    /** Returns the body as UTF-8 text. */
    public static String text(Message m) {
        return new String(m.body().toByteArray(), StandardCharsets.UTF_8);
    }

    /** Posts a ByeSignal on {@code channel}; returns its header. */
    public static BinaryHeader byeSignal(Ampe ampe, ChannelGroup group, int channel) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        m.opCode(OpCode.BYE_SIGNAL).channel(channel);
        return group.post(m);
    }

    /** Closes a ByeSignal on a listener and waits for its close Signal (returns every message). */
    public static void closeListener(Ampe ampe, ChannelGroup group, int channel) {
        byeSignal(ampe, group, channel);
        Wire.await(group, m -> Wire.isCloseSignal(m, channel)).close();
    }

    /**
     * Polls {@code group} for {@code quiet}; fails if any message for {@code channel} arrives (§5.6:
     * the close Signal is the last message for a channel). Other messages are returned to the pool.
     */
    public static void assertNothingMoreFor(ChannelGroup group, int channel, Duration quiet, String spec) {
        long deadline = System.nanoTime() + quiet.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Message m = group.waitReceive(Duration.ofNanos(left));
            if (m == null) {
                return;
            }
            try {
                if (m.channel() == channel) {
                    fail(spec + ": unexpected message for channel " + channel + " after its close Signal: " + m);
                }
            } finally {
                m.close();
            }
        }
    }

    /**
     * Waits until the close Signal of every channel in {@code channels} has arrived (in any order),
     * returning every message received meanwhile to the pool; fails after {@link Wire#WAIT}.
     */
    public static void awaitCloseSignals(ChannelGroup group, int... channels) {
        java.util.Set<Integer> left = new java.util.HashSet<>();
        for (int c : channels) {
            left.add(c);
        }
        long deadline = System.nanoTime() + Wire.WAIT.toNanos();
        while (!left.isEmpty()) {
            long rest = deadline - System.nanoTime();
            if (rest <= 0) {
                fail("§5.6: no close Signal within " + Wire.WAIT + " for channels " + left);
            }
            Message m = group.waitReceive(Duration.ofNanos(rest));
            if (m == null) {
                continue;
            }
            if (m.opCode() == OpCode.SIGNAL && m.origin() == dev.tofu.Origin.ENGINE && m.status() == Status.CHANNEL_CLOSED) {
                left.remove(m.channel());
            }
            m.close();
        }
    }

    /** Returns every message of {@code list} to its pool. */
    public static void closeAll(List<Message> list) {
        list.forEach(Message::close);
    }

    /** Waits up to {@code timeout} for {@code condition}; fails with {@code what} otherwise. */
    public static void awaitTrue(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
        if (!NoLeaks.awaitTrue(condition, timeout)) {
            fail("not within " + timeout + ": " + what);
        }
    }

    /** Waits (bounded, without sleeping) until {@code t} is parked: WAITING or TIMED_WAITING. */
    public static void awaitParked(Thread t, java.time.Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return;
            }
            if (s == Thread.State.TERMINATED) {
                org.junit.jupiter.api.Assertions.fail(t.getName() + " ended instead of waiting");
            }
            if (System.nanoTime() > deadline) {
                org.junit.jupiter.api.Assertions.fail(t.getName() + " did not park within " + within + ", state " + s);
            }
            Thread.yield();
        }
    }

}
