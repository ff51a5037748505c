package dev.tofu.stress.sys;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A tofu client channel in a group of its own, used the way an application thread would: post
 * requests, {@code waitReceive} responses. Connect = HelloRequest/HelloResponse; close = ByeRequest,
 * then everything up to the channel's close Signal (PROTOCOL.md §5.5.1).
 *
 * <p>Threads: one driver thread; {@link #abort()} from any thread (destroys the group).
 */
public final class TofuConnection implements Connection {
    private static final long CONNECT_NANOS = Duration.ofSeconds(30).toNanos();
    private static final long CLOSE_NANOS = Duration.ofSeconds(15).toNanos();

    private final Ampe ampe;
    private final ChannelGroup group;
    private int channel;
    private boolean closed;           // driver thread: the close Signal arrived
    private long lastTimeout = -1;    // driver thread: cached Duration, so receive allocates none
    private Duration lastDuration;

    private TofuConnection(Ampe ampe) {
        this.ampe = ampe;
        this.group = ampe.create();
    }

    /**
     * Opens a client channel to {@code address} on {@code ampe} and waits for the HelloResponse.
     *
     * @throws IOException when the connect fails or no HelloResponse comes within 30 s
     */
    public static TofuConnection open(Ampe ampe, Address address) throws IOException {
        TofuConnection c = new TofuConnection(ampe);
        try {
            c.hello(address);
            return c;
        } catch (IOException | RuntimeException e) {
            c.group.close();
            throw e;
        }
    }

    private void hello(Address address) throws IOException {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        address.format(m);
        try {
            channel = group.post(m).channel();
        } catch (TofuException e) {
            ampe.put(m);
            throw new IOException("HelloRequest refused: " + e.status(), e);
        }
        long deadline = System.nanoTime() + CONNECT_NANOS;
        while (true) {
            Message r = take(deadline);
            if (r == null) {
                throw new IOException("no HelloResponse on channel " + channel + " within 30 s");
            }
            try {
                if (r.channel() == channel && r.opCode() == OpCode.HELLO_RESPONSE) {
                    if (r.status() != Status.SUCCESS) {
                        throw new IOException("connect to " + address.value() + " failed: " + r.status());
                    }
                    return;
                }
                if (r.isFromEngine() && r.status() == Status.CHANNEL_CLOSED && r.opCode() == OpCode.SIGNAL) {
                    throw new IOException("channel " + channel + " closed while connecting");
                }
                if (r.isFromEngine() && r.status() == Status.POOL_EMPTY) {
                    ampe.put(new Message());
                }
            } finally {
                ampe.put(r);
            }
        }
    }

    @Override
    public void send(byte[] payload, int length, long messageId, boolean more) throws IOException {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        m.opCode(OpCode.REQUEST).channel(channel).messageId(messageId).more(more);
        m.body().append(payload, 0, length);
        try {
            group.post(m);
        } catch (TofuException e) {
            ampe.put(m);
            throw new IOException("post on channel " + channel + " failed: " + e.status(), e);
        }
    }

    @Override
    public boolean receive(Reply reply, long timeoutNanos) throws IOException {
        long deadline = 0; // counted from the first message that is not a reply: no clock read per reply
        while (true) {
            Message m;
            try {
                m = group.waitReceive(duration(timeoutNanos));
            } catch (TofuException e) {
                throw new IOException("waitReceive: " + e.status(), e);
            }
            if (m == null) {
                return false;
            }
            try {
                if (fill(m, reply)) {
                    return true;
                }
                if (closed) {
                    throw new IOException("channel " + channel + " closed by the engine");
                }
            } finally {
                ampe.put(m);
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + timeoutNanos;
            } else if (now - deadline > 0) {
                return false;
            }
        }
    }

    /** Fills reply from an echoed or returned Request/Response; false for anything else. */
    private boolean fill(Message m, Reply reply) {
        reply.clear();
        OpCode op = m.opCode();
        if (m.isFromEngine()) {
            Status s = m.status();
            if (op == OpCode.SIGNAL) {
                if (s == Status.CHANNEL_CLOSED && m.channel() == channel) {
                    closed = true;
                } else if (s == Status.POOL_EMPTY) {
                    ampe.put(new Message()); // R18: the reader starves: grow the pool
                }
                return false;
            }
            if (op == OpCode.REQUEST || op == OpCode.RESPONSE) {
                copyBody(m, reply);
                reply.status = s.code();
                reply.statusName = s.name();
                return true;
            }
            return false;
        }
        if (op != OpCode.RESPONSE) {
            return false;
        }
        copyBody(m, reply);
        return true;
    }

    private static void copyBody(Message m, Reply reply) {
        int n = m.body().length();
        m.body().copyTo(reply.room(n), 0);
        reply.length = n;
        reply.messageId = m.messageId();
        reply.more = m.more();
    }

    @Override
    public void close(Consumer<Reply> late) throws IOException {
        closeWith(OpCode.BYE_REQUEST, late);
    }

    /** Whether the channel's close Signal has arrived (driver thread). */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Aborts the channel the tofu way (PROTOCOL.md §5.5.2): posts a ByeSignal, then takes everything
     * up to the channel's close Signal. Echoes that had already arrived and the messages the engine
     * returns unsent (status channel_closed) go to {@code late}; the ByeSignal itself does not.
     * Driver thread only.
     *
     * @throws IOException when no close Signal comes within 15 s
     */
    public void byeSignal(Consumer<Reply> late) throws IOException {
        closeWith(OpCode.BYE_SIGNAL, late);
    }

    /** Posts {@code bye} (ByeRequest or ByeSignal) and takes everything up to the close Signal. */
    private void closeWith(OpCode byeOp, Consumer<Reply> late) throws IOException {
        try {
            if (closed) {
                return;
            }
            Message bye = ampe.get(AllocationStrategy.ALWAYS);
            bye.opCode(byeOp).channel(channel);
            try {
                group.post(bye);
            } catch (TofuException e) {
                ampe.put(bye); // closed meanwhile: its close Signal is on its way
            }
            long deadline = System.nanoTime() + CLOSE_NANOS;
            Reply r = new Reply(64);
            while (!closed) {
                Message m = take(deadline);
                if (m == null) {
                    throw new IOException("channel " + channel + ": no close Signal within 15 s of " + byeOp);
                }
                try {
                    if (fill(m, r)) {
                        late.accept(r);
                    }
                } finally {
                    ampe.put(m);
                }
            }
        } finally {
            try {
                group.close();
            } catch (TofuException ignored) {
                // engine already closed
            }
        }
    }

    @Override
    public void abort() {
        try {
            group.close();
        } catch (RuntimeException ignored) {
            // already closed
        }
    }

    private Message take(long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return null;
        }
        try {
            return group.waitReceive(Duration.ofNanos(left));
        } catch (TofuException e) {
            throw new IOException("waitReceive: " + e.status(), e);
        }
    }

    private Duration duration(long nanos) {
        if (nanos != lastTimeout) {
            lastTimeout = nanos;
            lastDuration = Duration.ofNanos(nanos);
        }
        return lastDuration;
    }
}
