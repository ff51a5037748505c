package dev.tofu.hostile;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A well-behaved tofu client in its own reactor that keeps an echo exchange going on one channel on
 * a virtual thread of its own, so tests can prove that other channels keep working while hostile
 * peers misbehave: {@link #awaitMoreRounds} waits for fresh round trips, {@link #close} fails the test
 * if any round trip went wrong.
 */
final class HealthyClient implements AutoCloseable {
    private final Reactor reactor = Reactor.create(Options.DEFAULT);
    private final Ampe ampe = reactor.ampe();
    private final ChannelGroup group = ampe.create();
    private final int channel;
    private final AtomicLong rounds = new AtomicLong();
    private final Thread loop;
    private volatile boolean stop;
    private volatile Throwable error;

    HealthyClient(Address server) {
        channel = Wire.hello(ampe, group, server).channel();
        Message hr = Wire.await(group, m -> m.channel() == channel);
        assertEquals(OpCode.HELLO_RESPONSE, hr.opCode(), "healthy client: HelloResponse expected, got " + hr);
        assertEquals(Status.SUCCESS, hr.status());
        hr.close();
        loop = Thread.ofVirtual().name("healthy-client").start(this::run);
    }

    private void run() {
        long id = 1_000_000;
        try {
            while (!stop) {
                id++;
                String text = "echo " + id;
                Message m = ampe.get(AllocationStrategy.ALWAYS);
                m.opCode(OpCode.REQUEST).channel(channel).messageId(id);
                m.body().append(text.getBytes(StandardCharsets.UTF_8));
                group.post(m);
                long deadline = System.nanoTime() + Wire.WAIT.toNanos();
                Message r = null;
                while (r == null) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("healthy channel: no echo within " + Wire.WAIT + " for id " + id);
                    }
                    r = group.waitReceive(Duration.ofMillis(100));
                }
                try {
                    if (r.opCode() != OpCode.RESPONSE || r.messageId() != id || !text.equals(Probe.text(r))) {
                        throw new AssertionError("healthy channel: wrong echo " + r + " body " + Probe.text(r) + " for id " + id);
                    }
                } finally {
                    r.close();
                }
                rounds.incrementAndGet();
            }
        } catch (Throwable t) {
            error = t;
        }
    }

    /** Returns completed round trips so far. */
    long rounds() {
        return rounds.get();
    }

    /** Waits until {@code more} further round trips completed; fails on timeout or a broken echo. */
    void awaitMoreRounds(int more) {
        long target = rounds.get() + more;
        long deadline = System.nanoTime() + Wire.WAIT.toNanos();
        while (rounds.get() < target) {
            if (error != null) {
                throw new AssertionError("the healthy channel broke", error);
            }
            if (System.nanoTime() > deadline) {
                fail("the healthy channel made no progress: " + rounds.get() + " < " + target);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    @Override
    public void close() {
        stop = true;
        try {
            loop.join(Wire.WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (error == null) {
                Probe.byeSignal(ampe, group, channel);
                Probe.awaitCloseSignals(group, channel);
            }
        } finally {
            reactor.close();
        }
        if (error != null) {
            throw new AssertionError("the healthy channel broke", error);
        }
    }
}
