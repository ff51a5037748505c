package dev.tofu.recipes;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recipe R18: the echo service. Engine messages: {@code pool_empty} → add one new message to the
 * pool; anything else (close Signals, returned messages) is logged and put back. Application
 * messages: a request gets its echo opcode, a Signal is sent back; both reuse the received message.
 * Returns {@code false} after {@code quota} echoed requests, or once {@link #cancel()} was called.
 */
public final class EchoService implements Services {
    private static final System.Logger LOG = System.getLogger(EchoService.class.getName());

    private final long quota;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicLong echoed = new AtomicLong();
    private final AtomicLong poolEmpty = new AtomicLong();
    private final AtomicLong engineNotices = new AtomicLong();
    private Ampe ampe;
    private ChannelGroup group;

    /** An echo service that never stops by itself. */
    public EchoService() {
        this(Long.MAX_VALUE);
    }

    /** An echo service that asks the server to stop after {@code quota} echoed requests. */
    public EchoService(long quota) {
        this.quota = quota;
    }

    @Override
    public void start(Ampe ampe, ChannelGroup group) {
        this.ampe = ampe;
        this.group = group;
    }

    @Override
    public boolean onMessage(Message m) {
        if (m.isFromEngine()) {
            if (m.status() == Status.POOL_EMPTY) {
                poolEmpty.incrementAndGet();
                ampe.put(new Message());                 // grow the pool by one: reading resumes
            } else {
                engineNotices.incrementAndGet();
                LOG.log(System.Logger.Level.DEBUG, "engine message {0}", m);
            }
            ampe.put(m);
            return !cancelled.get();
        }
        switch (m.opCode().role()) {
            case REQUEST -> {
                if (m.opCode() == OpCode.REQUEST) {
                    echoed.incrementAndGet();
                }
                send(m.opCode(m.opCode().echo()));
            }
            case SIGNAL -> send(m);                      // a Signal goes back as it came
            default -> ampe.put(m);
        }
        return !cancelled.get() && echoed.get() < quota;
    }

    @Override
    public void stop() {
        LOG.log(System.Logger.Level.DEBUG, "echo service stopped after {0} requests", echoed.get());
    }

    /** Makes the next {@link #onMessage} return {@code false}. */
    public void cancel() {
        cancelled.set(true);
    }

    /** Requests echoed so far. */
    public long echoed() {
        return echoed.get();
    }

    /** pool_empty Signals seen so far (each added one message to the pool). */
    public long poolEmptySeen() {
        return poolEmpty.get();
    }

    /** Other engine messages seen so far (close Signals, returned messages). */
    public long engineNotices() {
        return engineNotices.get();
    }

    private void send(Message m) {
        try {
            group.post(m);
        } catch (TofuException e) {                      // the channel closed meanwhile: still ours
            ampe.put(m);
        }
    }
}
