package dev.tofu.testing;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Status;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Small helpers for end-to-end tests over the public API: start a listener, connect a client, wait
 * for a message matching a condition (with a deadline, never a sleep).
 */
public final class Wire {
    /** How long any single wait in a test may take before the test fails. */
    public static final Duration WAIT = Duration.ofSeconds(30);

    private Wire() {
    }

    /** Which transport a parameterised test runs on. */
    public enum Transport {
        /** TCP on 127.0.0.1, port chosen by the system. */
        TCP,
        /** A Unix-domain socket at a fresh temporary path. */
        UDS;

        /** Returns a server address on this transport that never collides with another test's. */
        public Address serverAddress() {
            return this == TCP ? Address.tcpServer("127.0.0.1", 0) : Address.udsServer(Path.of(""));
        }
    }

    /** A started listener: its channel and the client address that reaches it. */
    public record Listener(int channel, Address clientAddress) {
    }

    /** Posts a WelcomeRequest, waits for the WelcomeResponse and returns where to connect. */
    public static Listener listen(Ampe ampe, ChannelGroup group, Address serverAddress) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        serverAddress.format(m);
        BinaryHeader h = group.post(m);
        Message resp = await(group, x -> x.channel() == h.channel());
        assertEquals(OpCode.WELCOME_RESPONSE, resp.opCode(), "§5.2: listener answers with WelcomeResponse");
        assertEquals(Status.SUCCESS, resp.status(), "§5.2: listener started: " + resp);
        String bound = resp.headers().get(Address.BOUND_TO);
        assertNotNull(bound, "§9 item 25: WelcomeResponse carries ~bound_to");
        ampe.put(resp);
        return new Listener(h.channel(), Address.parse(bound));
    }

    /** Posts a HelloRequest to {@code address}; returns the client channel number. */
    public static BinaryHeader hello(Ampe ampe, ChannelGroup group, Address address) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        address.format(m);
        return group.post(m);
    }

    /** Posts a message with the given opcode on a channel; returns its header. */
    public static BinaryHeader send(Ampe ampe, ChannelGroup group, int channel, OpCode op, long id, String body) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        m.opCode(op).channel(channel).messageId(id);
        if (body != null) {
            m.body().append(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return group.post(m);
    }

    /**
     * Waits for the first message matching {@code match}, putting every other message back to the
     * pool; fails the test after {@link #WAIT}.
     */
    public static Message await(ChannelGroup group, Predicate<Message> match) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no matching message within " + WAIT);
            }
            Message m = group.waitReceive(Duration.ofNanos(left));
            if (m == null) {
                continue;
            }
            if (match.test(m)) {
                return m;
            }
            m.close();
        }
    }

    /** Collects every message until one matches {@code last} (inclusive); fails after {@link #WAIT}. */
    public static List<Message> collectUntil(ChannelGroup group, Predicate<Message> last) {
        List<Message> out = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no closing message within " + WAIT + "; got " + out);
            }
            Message m = group.waitReceive(Duration.ofNanos(left));
            if (m == null) {
                continue;
            }
            out.add(m);
            if (last.test(m)) {
                return out;
            }
        }
    }

    /** Whether {@code m} is the close Signal of {@code channel} (§5.6). */
    public static boolean isCloseSignal(Message m, int channel) {
        return m.channel() == channel && m.opCode() == OpCode.SIGNAL && m.origin() == Origin.ENGINE
                && m.status() == Status.CHANNEL_CLOSED;
    }
}
