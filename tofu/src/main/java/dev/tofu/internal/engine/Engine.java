package dev.tofu.internal.engine;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.ReactorStats;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.concurrent.Slots;
import dev.tofu.internal.io.ChannelReader;
import dev.tofu.internal.io.SocketTuning;
import dev.tofu.internal.io.TlsTransport;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.Owner;
import dev.tofu.internal.message.PostRules;
import dev.tofu.internal.wire.FrameWriter;
import dev.tofu.internal.wire.StagingBuffers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One engine (tofu's {@code Reactor}): the message pool, the channel table and the groups.
 *
 * <p>Invariants: a channel number is bound in {@code table} from the moment post() or accept
 * creates its channel until that channel's finisher has delivered its last message; a group is in
 * {@code groups} until destroyed. Once {@code shutdown} is set, no group or channel is created and
 * every group is destroyed before the pool closes.
 *
 * <p>Threads: every public method is safe from any thread. Each channel's jobs run on the
 * channel's virtual threads; the engine's only thread of its own is the {@link Watchdog}, and only
 * when a timeout option is set (timed waits share the process-wide {@link WaitTimer} thread).
 * {@code connected} counts client and accepted channels from reservation (before the channel
 * exists) to the channel's {@code afterClose}.
 */
public final class Engine implements Ampe {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    static {
        EngineClasses.preload();
    }

    /** How long close()/destroy() wait for a group's channel threads to end. */
    static final long TERMINATION_NANOS = TimeUnit.SECONDS.toNanos(10);

    final Options options;
    private static final MessageAccess ACCESS = MessageAccess.get();

    final MessagePool pool;
    final ChannelTable<Channel> table = new ChannelTable<>();
    final EngineCounters counters = new EngineCounters();
    /** Direct buffers the channels' writers stage their batches in, lent per write call. */
    final StagingBuffers writeStaging = new StagingBuffers(FrameWriter.DEFAULT_STAGING, 64);
    /** Direct read buffers, one lent to each channel's reader while it runs. */
    final StagingBuffers readBuffers = new StagingBuffers(ChannelReader.READ_BUFFER, 1024);
    private final Set<Group> groups = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean shutdown = new AtomicBoolean();
    final Watchdog watchdog;
    /** Connected channels (client and accepted) counted against Options.maxChannels. */
    private final Slots connected;

    /** Creates an engine with the given options; no thread runs until a channel opens. */
    public Engine(Options options) {
        this.options = options;
        this.pool = new MessagePool(options.initialPoolMsgs(), options.maxPoolMsgs());
        this.watchdog = new Watchdog(options, counters);
        this.connected = new Slots(options.maxChannels());
        if (options.tls().isPresent()) {
            TlsTransport.warmUp(options.tls().get()); // JSSE classes load here, not on channel threads
        }
    }

    @Override
    public ChannelGroup create() {
        checkRunning();
        Group g = new Group(this, options.receiveQueueCapacity());
        groups.add(g);
        if (shutdown.get()) { // close() may have missed it
            groups.remove(g);
            g.destroy();
            throw new TofuException(Status.SHUTDOWN_STARTED, "the reactor is closing");
        }
        return g;
    }

    @Override
    public void destroy(ChannelGroup group) {
        if (!(group instanceof Group g) || g.engine != this) {
            throw new TofuException(Status.INVALID_CHANNEL_GROUP, "the group belongs to another reactor");
        }
        g.destroy();
        groups.remove(g);
    }

    @Override
    public Message get(AllocationStrategy strategy) {
        if (strategy == null) {
            throw new NullPointerException("strategy");
        }
        checkRunning();
        MessageStore s = pool.get(strategy);
        return s == null ? null : ACCESS.lease(s);
    }

    @Override
    public void put(Message message) {
        if (message != null) {
            pool.put(ACCESS.release(message)); // a dead reference gives null: nothing happens
        }
    }

    /** Closes every group (waking blocked receivers), every channel, then the pool and the IO buffers. Idempotent. */
    public void close() {
        if (!shutdown.compareAndSet(false, true)) {
            return;
        }
        for (Group g : List.copyOf(groups)) {
            g.destroy();
            groups.remove(g);
        }
        watchdog.stop(System.nanoTime() + TERMINATION_NANOS);
        pool.close();
        readBuffers.clear(); // the channels have ended: their direct buffers need not wait for the engine's collection
        writeStaging.clear();
        LOG.debug("engine closed");
    }

    /** Returns whether close() has started. */
    public boolean isShutdown() {
        return shutdown.get();
    }

    /** Returns the engine's pool (for statistics and tests). */
    public MessagePool pool() {
        return pool;
    }

    /** Returns a snapshot of the engine's counters. */
    public ReactorStats stats() {
        List<Integer> depths = new ArrayList<>();
        for (Group g : groups) {
            depths.add(g.queued());
        }
        return new ReactorStats(counters.listeners.get(), counters.clients.get(), counters.servers.get(), depths,
                pool.idleCount(), pool.createdCount(), counters.traffic.messagesIn(), counters.traffic.bytesIn(),
                counters.traffic.messagesOut(), counters.traffic.bytesOut(), counters.closeReasons(),
                counters.refusedConnections.sum());
    }

    /** Returns how many engine threads are alive in this process, across every engine. */
    public static int liveThreads() {
        return Channel.LIVE_THREADS.get();
    }

    /** Returns how many of this engine's channel threads are alive. */
    public int liveEngineThreads() {
        return counters.threads.get();
    }

    /** Returns the number of open channels. */
    public int openChannels() {
        return table.size();
    }

    // ---- channel creation (called by Group.post and by listeners) ---------------------------

    ListenerChannel openListener(Group g, MessageStore welcome) {
        return open(g, welcome, new ListenerChannel(this, g, welcome.messageId()));
    }

    IoChannel openClient(Group g, MessageStore hello) {
        if (!reserveConnection()) {
            throw PostRules.fail(hello, Status.ALLOCATION_FAILED,
                    "the reactor already holds " + options.maxChannels() + " connected channels (Options.maxChannels)");
        }
        try {
            return open(g, hello, new IoChannel(this, g, true, hello.messageId(), null));
        } catch (RuntimeException e) {
            releaseConnection();
            throw e;
        }
    }

    /** Takes one of Options.maxChannels; false at the limit. Released by the channel's finish. */
    boolean reserveConnection() {
        return connected.tryTake();
    }

    void releaseConnection() {
        connected.give();
    }

    /** post() rule 12: a number for the new channel, set on its opening request, and the group's claim. */
    private <C extends Channel> C open(Group g, MessageStore request, C ch) {
        int n = allocate(ch, request);
        request.setChannel(n);
        if (!g.register(ch)) {
            table.release(n, ch);
            counters.open(ch.kind()).decrementAndGet(); // bind() counted it
            throw PostRules.fail(request, Status.SHUTDOWN_STARTED, "the group is destroyed");
        }
        return ch;
    }

    /**
     * Turns an accepted socket into a server channel of {@code g}; the caller (the listener) holds
     * one of its own slots and one of the reactor's for it, which the channel gives back when it
     * finishes (or this method, if no channel is made).
     */
    void openAccepted(Group g, SocketChannel accepted, ListenerChannel listener) {
        IoChannel ch = new IoChannel(this, g, false, 0, listener);
        int n;
        try {
            n = table.allocate(ch);
        } catch (TofuException e) {
            LOG.warn("refusing a connection: no channel number left");
            refuse(accepted);
            listener.releaseSlot();
            releaseConnection();
            return;
        }
        ch.bind(n);
        try {
            SocketTuning.apply(accepted, options);
        } catch (IOException e) {
            LOG.debug("channel {}: socket options failed", n, e);
            ch.beginClose(Status.SETSOCKOPT_FAILED, null, e);
        }
        if (!g.register(ch)) {
            ch.beginSilentClose();
        }
        LOG.debug("channel {} (server) accepted", n);
        ch.startAccepted(accepted);
    }

    private int allocate(Channel ch, MessageStore m) {
        try {
            int n = table.allocate(ch);
            ch.bind(n);
            return n;
        } catch (TofuException e) {
            throw PostRules.fail(m, e.status(), e.getMessage());
        }
    }

    /** A fresh engine Signal (not taken from the idle pool; put() adds it to the pool). */
    MessageStore notice(int channel, Status status, long messageId) {
        MessageStore m = pool.create(Owner.ENGINE);
        m.setOpCodeRaw(OpCode.SIGNAL.code());
        m.setFromEngine(true);
        m.setStatusRaw(status.code());
        m.setChannel(channel);
        m.setMessageId(messageId);
        return m;
    }

    /** Closes a connection no channel was made for, and counts it. */
    void refuse(SocketChannel accepted) {
        counters.refusedConnections.increment();
        closeQuietly(accepted);
    }

    private void checkRunning() {
        if (shutdown.get()) {
            throw new TofuException(Status.SHUTDOWN_STARTED, "the reactor is closed");
        }
    }

    private static void closeQuietly(SocketChannel s) {
        try {
            s.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }
}
