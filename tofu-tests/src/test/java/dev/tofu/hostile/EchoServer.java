package dev.tofu.hostile;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A tofu echo server for the hostile-peer tests: one reactor, one group, one listener, and one
 * virtual thread that answers Request→Response, HelloRequest→HelloResponse, ByeRequest→ByeResponse and
 * Signal→Signal by re-posting the received message, and records every message it receives as an
 * {@link Event} so tests can wait for (and assert on) what the engine delivered. Engine messages are
 * recorded and put back (which also refills the pool after pool_empty).
 *
 * <p>Threads: the loop thread alone calls waitReceive; tests read {@link #events} from any thread.
 */
final class EchoServer implements AutoCloseable {
    /** Header a test client may set on its HelloRequest to be recognised ({@link Event#tag}). */
    static final String TAG = "x-tag";

    /** One received message, copied. */
    record Event(int channel, OpCode op, Origin origin, Status status, long id, String tag, String body) {
        boolean isCloseSignal() {
            return op == OpCode.SIGNAL && origin == Origin.ENGINE && status == Status.CHANNEL_CLOSED;
        }
    }

    final Reactor reactor;
    final Ampe ampe;
    final ChannelGroup group;
    final int listenerChannel;
    final Address clientAddress;
    final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    private final Thread loop;
    private volatile Throwable loopError;

    EchoServer(Wire.Transport transport, Options options) {
        this(transport.serverAddress(), options);
    }

    EchoServer(Address serverAddress, Options options) {
        reactor = Reactor.create(options);
        ampe = reactor.ampe();
        group = ampe.create();
        Wire.Listener l = Wire.listen(ampe, group, serverAddress);
        listenerChannel = l.channel();
        clientAddress = l.clientAddress();
        loop = Thread.ofVirtual().name("echo-server").start(this::run);
    }

    private void run() {
        try {
            while (true) {
                Message m;
                try {
                    m = group.waitReceive(ChannelGroup.INFINITE);
                } catch (TofuException e) {
                    return; // group destroyed
                }
                if (m == null) {
                    continue;
                }
                events.add(new Event(m.channel(), m.opCode(), m.origin(), m.status(), m.messageId(),
                        m.headers().get(TAG), Probe.text(m)));
                if (m.origin() == Origin.ENGINE || m.status() == Status.RECEIVER_UPDATE) {
                    boolean stop = m.status() == Status.RECEIVER_UPDATE && m.channel() == 0;
                    m.close();
                    if (stop) {
                        return;
                    }
                    continue;
                }
                OpCode reply = switch (m.opCode()) {
                    case REQUEST -> OpCode.RESPONSE;
                    case HELLO_REQUEST -> OpCode.HELLO_RESPONSE;
                    case BYE_REQUEST -> OpCode.BYE_RESPONSE;
                    case SIGNAL -> OpCode.SIGNAL;
                    default -> null;
                };
                if (reply == null) {
                    m.close();
                    continue;
                }
                try {
                    m.opCode(reply).more(false);
                    if (m.messageId() == 0 && reply != OpCode.SIGNAL) {
                        m.close(); // a response needs an id (§2.2 rule 3); a raw peer may send 0
                        continue;
                    }
                    group.post(m);
                } catch (TofuException e) {
                    m.close(); // the channel closed meanwhile (§9 item 5) or the group is gone
                }
            }
        } catch (Throwable t) {
            loopError = t;
        }
    }

    /** Waits until an event matching {@code match} was recorded; fails the test after {@code timeout}. */
    Event await(Predicate<Event> match, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Event e : events) {
                if (match.test(e)) {
                    return e;
                }
            }
            if (loopError != null) {
                throw new AssertionError("echo server loop failed", loopError);
            }
            if (System.nanoTime() > deadline) {
                return fail("not within " + timeout + ": " + what + "; events: " + tail());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /** Returns the recorded events matching {@code match}. */
    List<Event> matching(Predicate<Event> match) {
        List<Event> out = new ArrayList<>();
        for (Event e : events) {
            if (match.test(e)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Returns how many channels this reactor closed for {@code reason} so far. */
    long closes(Status reason) {
        Map<Status, Long> m = reactor.stats().closeReasons();
        return m.getOrDefault(reason, 0L);
    }

    /** Closes the listener with a ByeSignal and waits for its close Signal. */
    void closeListener() {
        Probe.byeSignal(ampe, group, listenerChannel);
        await(e -> e.isCloseSignal() && e.channel() == listenerChannel, Wire.WAIT, "listener close Signal");
    }

    private String tail() {
        List<Event> all = new ArrayList<>(events);
        return all.size() <= 20 ? all.toString() : all.subList(all.size() - 20, all.size()).toString();
    }

    /** Stops the loop (updateReceiver(null)), then closes the reactor; rethrows a loop failure. */
    @Override
    public void close() {
        try {
            group.updateReceiver(null);
            loop.join(Wire.WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TofuException ignored) {
            // already destroyed
        } finally {
            reactor.close();
        }
        if (loopError != null) {
            throw new AssertionError("echo server loop failed", loopError);
        }
    }
}
