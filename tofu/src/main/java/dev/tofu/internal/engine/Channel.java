package dev.tofu.internal.engine;

import dev.tofu.ChannelGroup;
import dev.tofu.Status;
import dev.tofu.internal.engine.ChannelLifecycle.CloseCause;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessageStore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every channel shares: its number, owning group, lifecycle, the threads that serve it, and
 * the close bundle (PROTOCOL.md §5.6).
 *
 * <p>Invariants: the channel's jobs (accept, connect, read, write) each run on a thread of their
 * own (virtual, unless Options.ioThreadFactory makes them), counted in {@code liveJobs}, which
 * starts at 1 (a start-up token released by {@link #released()} once the first jobs are
 * started); a job whose thread cannot be made closes the channel. The thread that brings the count to 0 runs
 * {@link #finish()}: after every job has ended, so no frame read before the close can be delivered
 * after the close Signal. {@link #finish()} delivers the bundle (trigger, unsent messages, one close
 * Signal) unless the close is silent, then releases the number. Only the lifecycle decides who
 * closes; {@link #beginClose} is safe from any thread and idempotent.
 */
abstract class Channel {
    private static final Logger LOG = LoggerFactory.getLogger(Channel.class);
    static final MessageAccess ACCESS = MessageAccess.get();

    final Engine engine;
    final Group group;
    final ChannelLifecycle life;
    volatile int number;               // set once by bind() before any job starts
    volatile long channelMessageId;    // §5.6: id carried by the close Signal
    /** Engine threads alive in this process, across every engine (for leak checks). */
    static final AtomicInteger LIVE_THREADS = new AtomicInteger();

    /**
     * Why the channel failed, for the {@code ~error} header of its failure reply and close Signal:
     * the class and message of the exception that started the close, or null. Written once, by the
     * thread whose beginClose started the close (a job, or a poster's direct write), before it
     * closes the transport, so before any job ends because of the close; read by {@link #finish()},
     * which runs after every job has ended.
     */
    private volatile String error;
    /** Longest {@code ~error} value, in characters. */
    private static final int MAX_ERROR_CHARS = 1024;

    private final AtomicInteger liveJobs = new AtomicInteger(1);
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    Channel(Engine engine, Group group, boolean open, long channelMessageId) {
        this.engine = engine;
        this.group = group;
        this.life = new ChannelLifecycle(open);
        this.channelMessageId = channelMessageId;
    }

    /** Sets the channel number (before any job starts) and counts the channel as open. */
    void bind(int number) {
        this.number = number;
        engine.counters.open(kind()).incrementAndGet();
    }

    /** Emits the JFR "channel opened" event once the socket is bound, connected or accepted. */
    final void opened(String address) {
        ChannelEvents.Opened e = new ChannelEvents.Opened();
        if (e.shouldCommit()) {
            e.channel = number;
            e.kind = kind();
            e.address = address;
            e.commit();
        }
    }

    /** A short name for logs and thread names. */
    abstract String kind();

    /** Closes the socket(s) so blocked jobs return; idempotent, never blocks on the network. */
    abstract void closeTransport();

    /** Returns the messages posted but not written, in order, and refuses later ones. */
    abstract List<MessageStore> drainUnsent();

    /** Called by post() for a message on this channel: takes it, or throws without taking it. */
    abstract void accept(MessageStore m, int opCode);

    /** Extra clean-up once the transport is closed, before the bundle (UDS files). */
    void afterClose() {
    }

    /** Starts a close with {@code reason}; returns whether this call started it. */
    final boolean beginClose(Status reason, MessageStore trigger) {
        return beginClose(new CloseCause(reason, trigger, false));
    }

    /**
     * Starts a close with {@code reason} because of {@code failure} (an I/O error, say); returns
     * whether this call started it, in which case the failure's class and message go to the
     * application in the {@code ~error} header of the trigger and of the close Signal.
     */
    final boolean beginClose(Status reason, MessageStore trigger, Throwable failure) {
        return beginClose(new CloseCause(reason, trigger, false), failure);
    }

    /** Starts a silent close (group destroy, engine close). */
    final boolean beginSilentClose() {
        return beginClose(new CloseCause(Status.CHANNEL_CLOSED, null, true));
    }

    final boolean beginClose(CloseCause cause) {
        return beginClose(cause, null);
    }

    private boolean beginClose(CloseCause cause, Throwable failure) {
        if (!life.beginClose(cause)) {
            return false;
        }
        if (failure != null) {
            error = describe(failure);
        }
        LOG.debug("channel {} ({}) closing: {}{}", number, kind(), cause.reason(), cause.silent() ? " (silent)" : "");
        closeTransport();
        engine.pool.wakeWaiters(); // a reader waiting for a pooled message re-checks the lifecycle
        return true;
    }

    /** Starts one job on a named thread: virtual, or from Options.ioThreadFactory when set. */
    final void startJob(String role, Runnable job) {
        liveJobs.incrementAndGet();
        String name = "tofu-ch-" + number + "-" + role;
        Runnable body = () -> {
            try {
                job.run();
            } catch (Throwable e) {
                LOG.warn("channel {} ({}) {} job failed unexpectedly", number, kind(), role, e);
                beginClose(Status.UNKNOWN_ERROR, null);
            } finally {
                released();
                engine.counters.threads.decrementAndGet();
                LIVE_THREADS.decrementAndGet();
            }
        };
        ThreadFactory factory = engine.options.ioThreadFactory();
        Thread t;
        if (factory == null) {
            t = Thread.ofVirtual().name(name).unstarted(body);
        } else {
            try {
                t = Objects.requireNonNull(factory.newThread(body), "Options.ioThreadFactory returned null");
                t.setName(name);
            } catch (RuntimeException e) {
                LOG.warn("channel {} ({}): Options.ioThreadFactory failed to make the {} thread", number, kind(), role, e);
                beginClose(Status.UNKNOWN_ERROR, null);
                released(); // the job never runs: give back its count
                return;
            }
        }
        threads.add(t);
        LIVE_THREADS.incrementAndGet();
        engine.counters.threads.incrementAndGet();
        t.start();
    }

    /** Ends a job (or the start-up token); the last one finishes the channel. */
    final void released() {
        if (liveJobs.decrementAndGet() == 0) {
            finish();
        }
    }

    /**
     * Waits until every job thread has ended or the deadline passes; returns whether all ended.
     * An interrupt does not cut the wait short (a reactor closed from an interrupted thread still
     * leaves no thread behind): it is remembered and the flag set again before returning.
     */
    final boolean awaitTermination(long deadlineNanos) {
        boolean interrupted = false;
        try {
            for (Thread t : threads) {
                while (true) {
                    long left = deadlineNanos - System.nanoTime();
                    try {
                        if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                            return false;
                        }
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true; // join again: the flag is cleared now
                    }
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }


    private void finish() {
        if (beginClose(new CloseCause(Status.UNKNOWN_ERROR, null, false))) {
            LOG.warn("channel {} ({}): every job ended without a close; closing it", number, kind());
        }
        if (!life.finish()) {
            return;
        }
        CloseCause cause = life.cause();
        closeTransport();
        afterClose(); // before the bundle: once the app sees the close Signal, the path is free to reuse
        List<MessageStore> unsent = drainUnsent();
        // During reactor close every close is silent (§6.9), even one a peer loss started first: a
        // channel whose peer was in a group destroyed a moment earlier must not report anything.
        boolean silent = cause.silent() || engine.isShutdown();
        // counted before the bundle: stats() agree with what the application has been told
        engine.counters.open(kind()).decrementAndGet();
        engine.counters.closed(silent ? Status.SHUTDOWN_STARTED : cause.reason());
        if (silent) {
            engine.pool.recycle(cause.trigger());
            unsent.forEach(engine.pool::recycle);
        } else {
            String why = error;
            if (cause.trigger() != null) {
                group.deliverNotice(withError(stamp(cause.trigger(), cause.reason()), why));
            }
            for (MessageStore m : unsent) {
                group.deliverNotice(stamp(m, cause.reason()));
            }
            group.deliverNotice(withError(engine.notice(number, Status.CHANNEL_CLOSED, channelMessageId), why));
        }
        ChannelEvents.Closed e = new ChannelEvents.Closed();
        if (e.shouldCommit()) {
            e.channel = number;
            e.kind = kind();
            e.reason = cause.reason().name();
            e.silent = silent;
            e.returned = unsent.size();
            e.commit();
        }
        engine.table.release(number, this);
        group.forget(this);
        LOG.debug("channel {} ({}) closed: {}, {} unsent returned", number, kind(), cause.reason(), unsent.size());
    }

    /** Adds the {@code ~error} header (ChannelGroup.ERROR_HEADER) to an engine-owned message, if {@code why} is set. */
    private static MessageStore withError(MessageStore m, String why) {
        if (why != null) {
            ListenerChannel.appendHeader(m, ChannelGroup.ERROR_HEADER, why);
        }
        return m;
    }

    /** The class and message of {@code failure}, on one line (a text header value), at most {@link #MAX_ERROR_CHARS}. */
    static String describe(Throwable failure) {
        String text = failure.getMessage() == null ? failure.getClass().getName()
                : failure.getClass().getName() + ": " + failure.getMessage();
        text = text.replace('\r', ' ').replace('\n', ' ').strip();
        return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS);
    }

    static MessageStore stamp(MessageStore m, Status reason) {
        m.setFromEngine(true);
        m.setStatusRaw(reason.code());
        return m;
    }
}
