package dev.tofu.internal.rpc;

import dev.tofu.CallListener;
import dev.tofu.LatencySnapshot;
import dev.tofu.TofuTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jdk.jfr.Event;
import jdk.jfr.EventType;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters, the latency histogram, the {@link CallListener} and the JFR event of one {@link dev.tofu.Client}
 * or {@link dev.tofu.Server}: {@link #begin} when a call (or handled request) starts, {@link Trace#end}
 * once when it ends. Nothing here allocates per call unless a listener or a JFR recording asks for it.
 *
 * <p>Threads: every method from any thread; a {@link Trace} is used by the one thread that began it.
 */
public final class CallMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(CallMetrics.class);

    private final boolean server;
    private final CallListener listener;
    private final LongAdder started = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder late = new LongAdder();
    private final Latency latency = new Latency();

    /**
     * @param server   whether these are a server's handled requests (else a client's calls)
     * @param listener the user's listener, or {@code null}
     */
    public CallMetrics(boolean server, CallListener listener) {
        this.server = server;
        this.listener = listener;
    }

    /**
     * A call (or handled request) starts now on this thread: {@code trace} (a pending call, or a
     * server worker reused for request after request) is reset and starts timing.
     */
    public void begin(Trace trace, int channel, long messageId) {
        started.increment();
        trace.reset(this, channel, messageId);
        if (listener != null) {
            try {
                listener.started(channel, messageId);
            } catch (RuntimeException e) {
                LOG.warn("call listener failed in started()", e);
            }
        }
    }

    /** A call was refused before it was sent. */
    public void refused() {
        refused.increment();
    }

    /** A response arrived after its call had given up (client), or was dropped (server). */
    public void late() {
        late.increment();
    }

    public long started() {
        return started.sum();
    }

    public long succeeded() {
        return succeeded.sum();
    }

    public long failed() {
        return failed.sum();
    }

    public long timedOut() {
        return timedOut.sum();
    }

    public long refusedCount() {
        return refused.sum();
    }

    public long lateCount() {
        return late.sum();
    }

    public LatencySnapshot latency() {
        return latency.snapshot();
    }

    /**
     * One call (or handled request) in progress. It is a base class rather than an object of its own
     * so that a call costs no extra allocation: {@link PendingCall} extends it, and a server worker
     * reuses one for every request it runs. {@link #end} is idempotent (the first outcome counts).
     * A JFR event object exists only while a recording has the event enabled.
     *
     * <p>Threads: used by the one thread that began it, until {@link #end}.
     */
    public static class Trace {
        private static final EventType CALL_EVENT = EventType.getEventType(RpcEvents.Call.class);
        private static final EventType HANDLED_EVENT = EventType.getEventType(RpcEvents.Handled.class);
        private CallMetrics metrics;
        private int channel;
        private long messageId;
        private long startNanos;
        private Event event;
        private boolean ended = true;

        void reset(CallMetrics owner, int channel, long messageId) {
            this.metrics = owner;
            this.channel = channel;
            this.messageId = messageId;
            this.startNanos = System.nanoTime();
            this.ended = false;
            this.event = null;
            if (owner.server ? HANDLED_EVENT.isEnabled() : CALL_EVENT.isEnabled()) {
                Event e = owner.server ? new RpcEvents.Handled() : new RpcEvents.Call();
                e.begin();
                this.event = e;
            }
        }

        /** The call ended; {@code failure} is {@code null} on success. Does nothing if it never began. */
        public void end(Throwable failure) {
            if (ended) {
                return;
            }
            ended = true;
            CallMetrics m = metrics;
            long elapsed = System.nanoTime() - startNanos;
            if (failure == null) {
                m.succeeded.increment();
                m.latency.record(elapsed);
            } else {
                m.failed.increment();
                if (failure instanceof TofuTimeoutException) {
                    m.timedOut.increment();
                }
            }
            Event e = event;
            if (e != null) {
                event = null;
                e.end();
                if (e.shouldCommit()) {
                    String outcome = failure == null ? "SUCCESS" : failure.getClass().getSimpleName();
                    if (e instanceof RpcEvents.Call c) {
                        c.channel = channel;
                        c.messageId = messageId;
                        c.outcome = outcome;
                    } else if (e instanceof RpcEvents.Handled h) {
                        h.channel = channel;
                        h.messageId = messageId;
                        h.outcome = outcome;
                    }
                    e.commit();
                }
            }
            if (m.listener != null) {
                try {
                    m.listener.finished(channel, messageId, Duration.ofNanos(elapsed), failure);
                } catch (RuntimeException x) {
                    LOG.warn("call listener failed in finished()", x);
                }
            }
        }
    }
}
