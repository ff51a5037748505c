package dev.tofu.internal.rpc;

import dev.tofu.CallListener;
import dev.tofu.LatencySnapshot;
import dev.tofu.TofuTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters, the latency histogram, the {@link CallListener} and the JFR event of one {@link dev.tofu.Client}
 * or {@link dev.tofu.Server}: {@link #begin} when a call (or handled request) starts, {@link Trace#end}
 * once when it ends.
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

    /** A call (or handled request) starts now on this thread. */
    public Trace begin(int channel, long messageId) {
        started.increment();
        Trace t = new Trace(channel, messageId);
        if (listener != null) {
            try {
                listener.started(channel, messageId);
            } catch (RuntimeException e) {
                LOG.warn("call listener failed in started()", e);
            }
        }
        return t;
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

    /** One call in progress; {@link #end} is idempotent (the first outcome counts). */
    public final class Trace {
        private final int channel;
        private final long messageId;
        private final long startNanos = System.nanoTime();
        private final RpcEvents.Call callEvent;
        private final RpcEvents.Handled handledEvent;
        private boolean ended;

        private Trace(int channel, long messageId) {
            this.channel = channel;
            this.messageId = messageId;
            if (server) {
                callEvent = null;
                handledEvent = new RpcEvents.Handled();
                handledEvent.begin();
            } else {
                handledEvent = null;
                callEvent = new RpcEvents.Call();
                callEvent.begin();
            }
        }

        /** The call ended; {@code failure} is {@code null} on success. */
        public void end(Throwable failure) {
            if (ended) {
                return;
            }
            ended = true;
            long elapsed = System.nanoTime() - startNanos;
            if (failure == null) {
                succeeded.increment();
                latency.record(elapsed);
            } else {
                failed.increment();
                if (failure instanceof TofuTimeoutException) {
                    timedOut.increment();
                }
            }
            String outcome = failure == null ? "SUCCESS" : failure.getClass().getSimpleName();
            if (callEvent != null) {
                callEvent.end();
                if (callEvent.shouldCommit()) {
                    callEvent.channel = channel;
                    callEvent.messageId = messageId;
                    callEvent.outcome = outcome;
                    callEvent.commit();
                }
            } else {
                handledEvent.end();
                if (handledEvent.shouldCommit()) {
                    handledEvent.channel = channel;
                    handledEvent.messageId = messageId;
                    handledEvent.outcome = outcome;
                    handledEvent.commit();
                }
            }
            if (listener != null) {
                try {
                    listener.finished(channel, messageId, Duration.ofNanos(elapsed), failure);
                } catch (RuntimeException e) {
                    LOG.warn("call listener failed in finished()", e);
                }
            }
        }
    }
}
