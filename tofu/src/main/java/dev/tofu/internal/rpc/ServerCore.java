package dev.tofu.internal.rpc;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.CallListener;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Server;
import dev.tofu.ServerStats;
import dev.tofu.Status;
import dev.tofu.TextHeader;
import dev.tofu.TofuException;
import dev.tofu.TofuInterruptedException;
import dev.tofu.TofuTimeoutException;
import dev.tofu.internal.concurrent.ClassPreload;
import dev.tofu.internal.engine.Group;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessageStore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The machinery behind {@link Server}.
 *
 * <p>Threads: the dispatcher virtual thread ({@code tofu-server-dispatcher}) is the only reader of
 * {@code group}; it owns {@code partials}, {@code rejected} and {@code listeners}' liveness. Each
 * request runs on a handler virtual thread ({@code tofu-server-handler}, a {@link Worker}); a
 * worker that finishes takes the channel's next waiting request, or parks in {@code idle} until it
 * is handed one (up to {@code idleWorkers} of them stay: as many as requests may run, at most
 * {@link #MAX_IDLE_WORKERS}; the others end), so a request costs a
 * thread wake-up rather than a new thread. {@code lock} guards {@code channels} (and every
 * {@link ChannelState} in it), {@code total}, {@code phase} and {@code idle}; its conditions wake
 * the dispatcher when there is room again ({@code room}), the stopper when every request is done
 * ({@code drained}) or every client channel closed ({@code channelsGone}). Nothing blocks while
 * holding {@code lock} except condition waits, which release it.
 *
 * <p>Fast path: the group has a frame tap ({@link Group#tap}): the reader thread of a client
 * channel hands a one-frame REQUEST straight to a worker ({@link #tapRequest}) when the channel is
 * connected, no multi-part request of that channel is on its way through the queue or
 * half-assembled in {@code partials}, and the limits allow it to start at once; everything else
 * goes through the queue to the dispatcher as before. {@code ChannelState.queuedParts} counts the
 * channel's REQUEST frames with {@code more} set that the tap refused and the dispatcher has not
 * handled yet, {@code ChannelState.partials} its requests the dispatcher is assembling: while either
 * is non-zero the tap refuses the channel's requests, so the last part of a multi-part request can
 * never overtake its first parts. Other orders that matter hold by construction: requests are taken
 * only once the dispatcher accepted the channel's HelloRequest, and a request the tap takes is
 * counted in {@code total} before the reader reads on, so before a {@code ~drain:ack} behind it
 * reaches the dispatcher. Single requests may otherwise start out of arrival order, as concurrent
 * handlers always could. The tap leaves one unit of
 * {@code maxTotal} to the dispatcher, which may hold a request it read while the tap filled the
 * server. This is the one place the server reaches into the engine below the public API.
 *
 * <p>Graceful stop (gRPC's GOAWAY is the model): the stopper closes the listeners, sends every
 * client channel a {@code ~drain} Signal and waits, up to the deadline, until every request is done
 * and every drained channel answered with its {@code ~drain:ack} Signal (after which that client
 * posts nothing more; the ack arrives after every request the client posted before it, since a
 * channel is read in order). Only then does it send the ByeRequests.
 *
 * <p>Invariants: {@code total} = requests running + requests in the backlogs; a channel runs at most
 * {@code perChannel} handlers; the dispatcher does not read the group while
 * {@code total >= maxTotal} and the tap takes nothing then (back-pressure; nothing is dropped); every
 * message that reaches the server is released, posted or handed to a handler, which consumes it. A
 * worker is in {@code idle} only while parked without a request; {@code workers} holds every
 * worker thread that has not ended.
 */
public final class ServerCore {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCore.class);
    private static final long WELCOME_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long BYE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long JOIN_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long stop/abort wait, in all, for handlers that ignore their interrupt. */
    private static final long HANDLER_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** At most this many finished handler threads stay parked for the next requests; the others end. */
    static final int MAX_IDLE_WORKERS = 16_384;
    private static final MessageAccess ACCESS = MessageAccess.get();
    private static final int REQUEST_CODE = OpCode.REQUEST.code();
    /** Spare pooled messages a server wants beyond maxConcurrency (responses being written, notices, readers). */
    public static final int POOL_SPARE = 64;
    private static final AtomicBoolean POOL_WARNED = new AtomicBoolean();
    /** The server whose dispatcher or handler runs on this thread ({@link Server#current()}). */
    private static final ThreadLocal<Server> CURRENT = new ThreadLocal<>();

    private enum Phase { RUNNING, DRAINING, CLOSING, CLOSED }

    static {
        // Load what the handler threads use now, on the thread that starts the server: many handler
        // virtual threads loading a class at once contend for its class-loading lock, which pins.
        ClassPreload.load(Responder.class, Parts.class, ChannelState.class, Key.class, TofuTimeoutException.class,
                CallMetrics.class, CallMetrics.Trace.class, RpcEvents.Handled.class, Latency.class,
                TofuInterruptedException.class);
    }

    /** Per client channel; guarded by {@code lock}. */
    private static final class ChannelState {
        final int channel;
        int running;
        final ArrayDeque<Message> backlog = new ArrayDeque<>();
        boolean closed;
        boolean connected;    // its HelloRequest was accepted
        boolean drainSent;    // the stopper sent it a ~drain Signal
        boolean drainAcked;   // it answered with ~drain:ack
        int queuedParts;      // REQUEST frames with more set the tap refused and the dispatcher has not handled
        int partials;         // requests of this channel the dispatcher is assembling

        ChannelState(int channel) {
            this.channel = channel;
        }
    }

    private record Key(int channel, long id) {
    }

    private final Ampe ampe;
    private final ChannelGroup group;
    private final Server.RequestHandler requestHandler;
    private final Server.StreamingHandler streamingHandler;
    private final Server.SignalHandler signalHandler;
    private final Server.ConnectHook connectHook;
    private final Server.ChannelCallback onConnected;
    private final Server.ChannelCallback onDisconnected;
    private final CallMetrics metrics;
    private volatile Server owner;
    private boolean shutDownDone;                                        // guarded by stopLock
    private final int maxTotal;
    private final int idleWorkers;  // how many finished handler threads stay parked: min(maxTotal, MAX_IDLE_WORKERS)
    private final int perChannel;
    private final List<Address> addresses;
    private final Set<Integer> listeners = ConcurrentHashMap.newKeySet();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private final Condition drained = lock.newCondition();
    private final Condition channelsGone = lock.newCondition();
    private final IntTable<ChannelState> channels = new IntTable<>();      // guarded by lock
    private int total;                                                   // guarded by lock
    private Phase phase = Phase.RUNNING;                                 // guarded by lock
    private final ReentrantLock stopLock = new ReentrantLock();          // serialises stop/abort
    private volatile boolean closedForWorkers;                           // set once by shutDown: idle workers end

    private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();          // guarded by lock
    /** Ids of pushed SIGNALs: the upper half of the unsigned range, so they never match a client's call ids. */
    private final AtomicLong pushIds = new AtomicLong(Long.MIN_VALUE);
    private final Map<Key, Message> partials = new HashMap<>();   // dispatcher only
    private final Set<Integer> rejected = new HashSet<>();       // dispatcher only
    private List<Message> early;                                 // start(), then dispatcher only
    private final Thread dispatcher;

    private ServerCore(Ampe ampe, ChannelGroup group, List<Address> addresses, List<Integer> listenerChannels,
                       List<Message> early, Server.RequestHandler requestHandler,
                       Server.StreamingHandler streamingHandler, Server.SignalHandler signalHandler,
                       Server.ConnectHook connectHook, Hooks hooks, int maxTotal, int perChannel) {
        this.ampe = ampe;
        this.onConnected = hooks.onConnected();
        this.onDisconnected = hooks.onDisconnected();
        this.metrics = new CallMetrics(true, hooks.callListener());
        this.group = group;
        this.addresses = List.copyOf(addresses);
        this.listeners.addAll(listenerChannels);
        this.early = early;
        this.requestHandler = requestHandler;
        this.streamingHandler = streamingHandler;
        this.signalHandler = signalHandler;
        this.connectHook = connectHook;
        this.maxTotal = maxTotal;
        this.idleWorkers = Math.min(maxTotal, MAX_IDLE_WORKERS);
        this.perChannel = perChannel;
        this.dispatcher = Thread.ofVirtual().name("tofu-server-dispatcher").unstarted(this::dispatch);
        if (group instanceof Group g) {
            g.tap(this::tapRequest);
        }
    }

    /** The optional callbacks of a server. */
    public record Hooks(Server.ChannelCallback onConnected, Server.ChannelCallback onDisconnected,
                        CallListener callListener) {
    }

    /**
     * The advice a server logs when its reactor's pool is too small for its concurrency, or
     * {@code null} when it is big enough: every request running or waiting holds a pooled message,
     * and the channels' readers take only idle pooled messages for what arrives meanwhile (a reader
     * never creates one: with none idle it sends a {@code pool_empty} notice and waits for a message
     * to be put back; PROTOCOL.md §6.6). So both {@code initialPoolMsgs} and {@code maxPoolMsgs} should
     * be at least {@code maxConcurrency + }{@link #POOL_SPARE}.
     */
    public static String poolAdvice(int initialPoolMsgs, int maxPoolMsgs, int maxConcurrency) {
        long want = (long) maxConcurrency + POOL_SPARE;
        if (initialPoolMsgs >= want && maxPoolMsgs >= want) {
            return null;
        }
        return "the server may run or queue " + maxConcurrency + " requests but its reactor's pool starts with "
                + initialPoolMsgs + " messages and keeps at most " + maxPoolMsgs + ": under load its readers wait for "
                + "pooled messages (pool_empty) and requests and new clients stall. Create the reactor with "
                + "Options.of(" + want + ", " + want + ") or more, or lower Server.Builder.maxConcurrency";
    }

    /** Starts every listener (in order); {@link #begin} then starts the dispatcher. On failure closes everything and throws. */
    public static ServerCore start(Ampe ampe, int initialPoolMsgs, int maxPoolMsgs, List<Address> listen, Server.RequestHandler requestHandler,
                                   Server.StreamingHandler streamingHandler, Server.SignalHandler signalHandler,
                                   Server.ConnectHook connectHook, Hooks hooks, int maxTotal, int perChannel) {
        String advice = poolAdvice(initialPoolMsgs, maxPoolMsgs, maxTotal);
        if (advice != null) {
            if (POOL_WARNED.compareAndSet(false, true)) {
                LOG.warn("{} (logged once per process)", advice);
            } else {
                LOG.debug(advice);
            }
        }
        ChannelGroup group = ampe.create();
        List<Message> early = new ArrayList<>();
        try {
            List<Address> bound = new ArrayList<>();
            List<Integer> channels = new ArrayList<>();
            for (Address a : listen) {
                Message w = ampe.get(AllocationStrategy.ALWAYS);
                try {
                    a.format(w);
                } catch (RuntimeException e) {
                    w.close();
                    throw e;
                }
                BinaryHeader h;
                try {
                    h = group.post(w);
                } catch (RuntimeException e) {
                    w.close();
                    throw e;
                }
                channels.add(h.channel());
                bound.add(awaitWelcome(ampe, group, h.channel(), a, early));
            }
            return new ServerCore(ampe, group, bound, channels, early, requestHandler, streamingHandler,
                    signalHandler, connectHook, hooks, maxTotal, perChannel);
        } catch (RuntimeException | Error e) {
            early.forEach(Message::close);
            group.close();
            throw e;
        }
    }

    /** Waits for the WelcomeResponse of {@code ch}; other messages (early clients) are kept in {@code early}. */
    private static Address awaitWelcome(Ampe ampe, ChannelGroup group, int ch, Address a, List<Message> early) {
        long deadline = System.nanoTime() + WELCOME_WAIT_NANOS;
        while (true) {
            long left = PendingCall.remaining(deadline);
            Message m = left == 0 ? null : group.waitReceive(Duration.ofNanos(left));
            if (m == null) {
                if (Thread.currentThread().isInterrupted()) { // waitReceive returns at once then
                    throw new TofuInterruptedException("interrupted while waiting for the WelcomeResponse of " + a.value());
                }
                throw new TofuTimeoutException("no WelcomeResponse for " + a.value());
            }
            if (m.channel() == ch && m.opCode() == OpCode.WELCOME_RESPONSE) {
                try {
                    if (m.status() != Status.SUCCESS) {
                        throw new TofuException(m.status(), "cannot listen on " + a.value());
                    }
                    String b = m.headers().get(Address.BOUND_TO);
                    return b == null ? a : Address.parse(b);
                } finally {
                    m.close();
                }
            }
            if (m.origin() == Origin.ENGINE && m.status() == Status.POOL_EMPTY) {
                ampe.put(m);
            } else {
                early.add(m);
            }
        }
    }

    /** Starts the dispatcher for {@code server}, the public face of this core. Once, right after {@link #start}. */
    public void begin(Server server) {
        this.owner = server;
        dispatcher.start();
    }

    /** The server whose dispatcher or handler runs on the calling thread, or {@code null}. */
    public static Server current() {
        return CURRENT.get();
    }

    /** The listeners' client addresses, in listen order. */
    public List<Address> addresses() {
        return addresses;
    }

    /** A cleared message owned by the caller. */
    public Message newMessage() {
        return ampe.get(AllocationStrategy.ALWAYS);
    }

    /** Whether the server is running (not stopping or stopped). */
    public boolean isRunning() {
        lock.lock();
        try {
            return phase == Phase.RUNNING && dispatcher.isAlive();
        } finally {
            lock.unlock();
        }
    }

    /** The connected client channels (HelloRequest accepted, not closed), in ascending order. */
    public List<Integer> channels() {
        lock.lock();
        try {
            List<Integer> out = new ArrayList<>(channels.size());
            for (ChannelState cs : channels.values()) {
                if (cs.connected && !cs.closed) {
                    out.add(cs.channel);
                }
            }
            out.sort(null);
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Sends a copy of {@code signal} to every connected client; consumes it; returns how many were posted. */
    public int broadcast(Message signal) {
        List<Integer> targets;
        try {
            targets = channels();
        } catch (RuntimeException e) {
            signal.close();
            throw e;
        }
        if (targets.isEmpty()) {
            signal.close();
            return 0;
        }
        int sent = 0;
        for (int i = 0; i < targets.size(); i++) {
            boolean last = i == targets.size() - 1;
            Message m = last ? signal : copy(signal); // the original goes last: nothing reads it after its post
            try {
                send(targets.get(i), m);
                sent++;
            } catch (TofuException e) {
                LOG.debug("broadcast to channel {} failed: {}", targets.get(i), e.getMessage());
            }
        }
        return sent;
    }

    private Message copy(Message m) {
        Message c = ampe.get(AllocationStrategy.ALWAYS);
        c.messageId(m.messageId());
        for (TextHeader h : m.headers()) {
            c.headers().append(h.name(), h.value());
        }
        if (m.body().length() > 0) {
            c.body().append(m.body().asReadOnlyBuffer());
        }
        return c;
    }

    /** The counters as a snapshot. */
    public ServerStats stats() {
        int connected;
        long inFlight;
        lock.lock();
        try {
            inFlight = total;
            int n = 0;
            for (ChannelState cs : channels.values()) {
                if (cs.connected && !cs.closed) {
                    n++;
                }
            }
            connected = n;
        } finally {
            lock.unlock();
        }
        return new ServerStats(metrics.started(), metrics.succeeded(), metrics.failed(), inFlight,
                metrics.lateCount(), connected, metrics.latency());
    }

    /** Pushes a SIGNAL to a client channel; consumes {@code signal}. */
    public void send(int channel, Message signal) {
        try {
            signal.opCode(OpCode.SIGNAL).channel(channel);
            if (signal.messageId() == 0) {
                signal.messageId(pushIds.incrementAndGet()); // far from any client's call ids
            }
        } catch (RuntimeException e) {
            signal.close();
            throw e;
        }
        Parts.post(ampe, group, signal, false);
    }

    // ---- dispatcher ----------------------------------------------------------------------------

    private void dispatch() {
        CURRENT.set(owner);
        try {
            List<Message> first = early;
            early = null;
            for (Message m : first) {
                handle(m);
            }
            while (awaitRoom()) {
                Message m;
                try {
                    m = group.waitReceive(ChannelGroup.INFINITE);
                } catch (TofuInterruptedException e) {
                    Thread.interrupted(); // nobody should interrupt this thread; keep serving
                    continue;
                } catch (TofuException e) {
                    return; // the group was destroyed (stop, abort, or the reactor closed)
                }
                if (m != null) {
                    handle(m);
                } else if (Thread.interrupted()) { // an engine that returns null to an interrupted reader
                    LOG.debug("server dispatcher interrupted; ignored");
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("server dispatcher failed", e);
        } finally {
            partials.values().forEach(Message::close);
            partials.clear();
            lock.lock();
            try {
                if (phase != Phase.CLOSED) { // the group is gone without stop/abort: the reactor closed
                    LOG.debug("server dispatcher ended: its group is gone (the reactor closed?)");
                    phase = Phase.CLOSED;
                }
                room.signalAll();
                drained.signalAll();
                channelsGone.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits while the server is full; false once the server closes. */
    private boolean awaitRoom() {
        lock.lock();
        try {
            while (total >= maxTotal && (phase == Phase.RUNNING || phase == Phase.DRAINING)) {
                room.awaitUninterruptibly();
            }
            return phase != Phase.CLOSED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The frame tap, on the reader thread of the frame's channel: starts a one-frame REQUEST on a
     * worker at once when it may (see the class comment), else refuses it, counting it on its
     * channel so that the channel's later frames follow it through the queue. Never blocks, never throws.
     */
    private boolean tapRequest(MessageStore f) {
        if (f.opCodeRaw() != REQUEST_CODE || f.isFromEngine()) {
            return false;
        }
        int ch = f.channel();
        lock.lock();
        try {
            ChannelState cs = channels.get(ch);
            if (f.more()) { // a part: the dispatcher assembles it; later parts must follow it there
                if (cs == null) {
                    cs = new ChannelState(ch);
                    channels.put(ch, cs);
                }
                cs.queuedParts++;
                return false;
            }
            if (cs == null || !cs.connected || cs.closed || cs.queuedParts != 0 || cs.partials != 0
                    || (phase != Phase.RUNNING && phase != Phase.DRAINING)
                    || cs.running >= perChannel || total >= maxTotal - 1) {
                return false;
            }
            total++;
            cs.running++;
            startHandler(cs, ACCESS.lease(f));
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void handle(Message m) {
        if (m.origin() == Origin.ENGINE) {
            if (m.status() == Status.POOL_EMPTY) {
                ampe.put(m); // §6.6: grows the pool by one
                return;
            }
            if (m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED) {
                channelClosed(m.channel());
            }
            m.close(); // returned messages (responses of closed channels, ByeSignals) and notices
            return;
        }
        switch (m.opCode()) {
            case HELLO_REQUEST -> hello(m);
            case REQUEST -> request(m);
            case SIGNAL -> signal(m);
            case BYE_REQUEST -> {
                m.opCode(OpCode.BYE_RESPONSE); // §5.5.1: the client closes gracefully
                m.headers().clear();
                m.body().clear();
                postQuietly(m);
            }
            default -> m.close(); // ByeResponse to our ByeRequest, stray responses
        }
    }

    private void hello(Message m) {
        String reason;
        if (!isRunning()) {
            reason = "the server is stopping";
        } else if (connectHook == null) {
            reason = null;
        } else {
            try {
                reason = connectHook.reject(m);
            } catch (RuntimeException e) {
                LOG.warn("connect hook failed; rejecting the client", e);
                reason = "connect hook failed: " + Parts.errorText(e);
            }
        }
        int ch = m.channel();
        m.headers().clear();
        m.body().clear();
        if (reason == null) {
            m.opCode(OpCode.HELLO_RESPONSE);
        } else {
            rejected.add(ch);
            m.opCode(OpCode.BYE_RESPONSE); // §5.5.4: graceful reject with a reason
            m.headers().append(Parts.REASON_HEADER, Parts.oneLine(reason));
        }
        boolean posted = postQuietly(m);
        if (reason == null && posted) {
            lock.lock();
            try {
                channels.computeIfAbsent(ch, ChannelState::new).connected = true;
            } finally {
                lock.unlock();
            }
            callback(onConnected, ch, "onConnected");
        }
    }

    /** Runs a connection callback on the dispatcher thread; its failure is logged. */
    private void callback(Server.ChannelCallback cb, int ch, String what) {
        if (cb == null) {
            return;
        }
        try {
            cb.accept(owner, ch);
        } catch (Exception e) {
            LOG.warn("channel {}: {} callback failed", ch, what, e);
        }
    }

    private void request(Message m) {
        int ch = m.channel();
        // a part (more set) was counted in queuedParts when the tap refused it: every path below
        // uncounts it, in the same step as the partials change where there is one, so that while a
        // request is incomplete one of the two counts stays above zero
        int queued = m.more() ? -1 : 0;
        if (rejected.contains(ch)) {
            countParts(ch, queued, 0);
            m.close();
            return;
        }
        if (m.more() || !partials.isEmpty()) {
            Key k = new Key(ch, m.messageId());
            Message whole = partials.get(k);
            if (whole != null) {
                Parts.appendBody(whole, m);
                boolean more = m.more();
                m.close();
                if (more) {
                    countParts(ch, queued, 0);
                    return;
                }
                partials.remove(k);
                countParts(ch, 0, -1);
                m = whole;
            } else if (m.more()) {
                partials.put(k, m);
                countParts(ch, queued, 1);
                return;
            }
            m.more(false);
        }
        submit(ch, m);
    }

    /** Adjusts a channel's tap counters (see the class comment) under {@code lock}. */
    private void countParts(int ch, int queuedDelta, int partialsDelta) {
        if (queuedDelta == 0 && partialsDelta == 0) {
            return;
        }
        lock.lock();
        try {
            ChannelState cs = channels.get(ch);
            if (cs != null) {
                cs.queuedParts = Math.max(0, cs.queuedParts + queuedDelta); // parts read before the tap existed were not counted
                cs.partials += partialsDelta;
            }
        } finally {
            lock.unlock();
        }
    }

    private void signal(Message m) {
        if (m.headers().get(Parts.DRAIN_HEADER) != null) { // a client's answer to our ~drain
            lock.lock();
            try {
                ChannelState cs = channels.get(m.channel());
                if (cs != null) {
                    cs.drainAcked = true;
                    drained.signalAll();
                }
            } finally {
                lock.unlock();
            }
            m.close();
            return;
        }
        try {
            if (signalHandler != null && !rejected.contains(m.channel())) {
                signalHandler.handle(m);
            }
        } catch (Exception e) {
            LOG.warn("signal handler failed", e);
        } finally {
            m.close();
        }
    }

    private void channelClosed(int ch) {
        if (listeners.remove(ch)) {
            if (isRunning()) {
                LOG.warn("listener channel {} closed unexpectedly", ch);
            }
            return;
        }
        rejected.remove(ch);
        partials.entrySet().removeIf(e -> {
            if (e.getKey().channel() == ch) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        List<Message> dropped = List.of();
        boolean wasConnected = false;
        lock.lock();
        try {
            ChannelState cs = channels.remove(ch);
            if (cs != null) {
                wasConnected = cs.connected;
                cs.closed = true;
                dropped = new ArrayList<>(cs.backlog);
                cs.backlog.clear();
                total -= dropped.size();
                signalChanges();
            }
        } finally {
            lock.unlock();
        }
        dropped.forEach(Message::close); // nobody is left to answer
        if (wasConnected) {
            callback(onDisconnected, ch, "onDisconnected");
        }
    }

    // ---- handlers --------------------------------------------------------------------------------

    private void submit(int ch, Message request) {
        lock.lock();
        try {
            if (phase == Phase.CLOSING || phase == Phase.CLOSED) {
                request.close();
                return;
            }
            ChannelState cs = channels.computeIfAbsent(ch, ChannelState::new); // the handshake is not enforced (§9 item 23)
            total++;
            if (cs.running < perChannel) {
                cs.running++;
                startHandler(cs, request);
            } else {
                cs.backlog.add(request);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Hands {@code request} to an idle worker, or starts a new one. Called with {@code lock} held. */
    private void startHandler(ChannelState cs, Message request) {
        Worker w = idle.pollLast(); // the most recently parked: its stack is the warmest
        if (w != null) {
            w.give(cs, request);
            return;
        }
        w = new Worker(cs, request);
        workers.add(w);
        w.thread.start();
    }

    /**
     * A request of {@code cs} is done: returns the channel's next waiting request for the same worker
     * to run, or {@code null} after parking the worker in {@code idle} (false from {@code keep}: the
     * worker must end).
     */
    private Message handlerDone(ChannelState cs, Worker w) {
        lock.lock();
        try {
            total--;
            cs.running--;
            Message next = null;
            if (!cs.closed && phase != Phase.CLOSED) {
                next = cs.backlog.poll();
                if (next != null) {
                    cs.running++;
                }
            }
            signalChanges();
            if (next == null) {
                w.keep = phase != Phase.CLOSED && idle.size() < idleWorkers;
                if (w.keep) {
                    idle.addLast(w);
                }
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A handler thread, reused request after request (its {@link CallMetrics.Trace} too). Its
     * request is handed over in {@code task} (volatile; {@code taskChannel} is written before it),
     * by the thread that takes it out of {@code idle} under {@code lock}; only the worker clears it.
     */
    private final class Worker extends CallMetrics.Trace implements Runnable {
        final Thread thread;
        private ChannelState taskChannel;
        private volatile Message task;
        boolean keep;                  // guarded by lock: parked in idle (else the worker ends)

        Worker(ChannelState cs, Message request) {
            this.taskChannel = cs;
            this.task = request;
            this.thread = Thread.ofVirtual().name("tofu-server-handler").unstarted(this);
        }

        /** Called with {@code lock} held, on a worker just taken out of {@code idle}. */
        void give(ChannelState cs, Message request) {
            taskChannel = cs;
            task = request;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            CURRENT.set(owner);
            try {
                while (true) {
                    Message request = task;
                    ChannelState cs = taskChannel;
                    task = null;
                    while (request != null) {
                        clearInterrupt(); // a flag the previous request left (or a stop that came too late) is not this one's
                        runHandler(cs, request, this);
                        request = handlerDone(cs, this);
                    }
                    if (!keep || !awaitTask()) {
                        return;
                    }
                }
            } finally {
                workers.remove(this);
            }
        }

        /** Clears the interrupt flag; reads it first, since clearing a virtual thread's flag takes a lock. */
        private void clearInterrupt() {
            if (thread.isInterrupted()) {
                Thread.interrupted();
            }
        }

        /** Parks in {@code idle} until a request is handed over; false once the server closed. */
        private boolean awaitTask() {
            while (true) {
                // a handler may leave its interrupt flag set, and shutDown interrupts to wake us: either
                // way a set flag would make park return at once, so clear it, then check (nothing
                // that may park runs between the checks and the park: it could swallow give()'s unpark)
                clearInterrupt();
                if (task != null) {
                    return true;
                }
                if (closedForWorkers) {
                    lock.lock();
                    try {
                        if (task == null) {
                            idle.remove(this);
                            return false;
                        }
                    } finally {
                        lock.unlock();
                    }
                    return true;
                }
                LockSupport.park(this);
            }
        }
    }

    /** Called with {@code lock} held. */
    private void signalChanges() {
        if (total < maxTotal) {
            room.signal();
        }
        drained.signalAll(); // the stopper re-checks: requests done and drained channels acknowledged
        if (channels.isEmpty()) {
            channelsGone.signalAll();
        }
    }

    private void runHandler(ChannelState cs, Message request, CallMetrics.Trace trace) {
        metrics.begin(trace, cs.channel, request.messageId());
        Throwable failure = null;
        try {
            failure = streamingHandler != null ? runStreaming(cs.channel, request) : runSimple(cs.channel, request);
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.error("server handler machinery failed", e);
        } finally {
            trace.end(failure);
        }
    }

    /** Runs the handler and sends its response; returns what went wrong, or {@code null}. */
    private Throwable runSimple(int ch, Message request) {
        long id = request.messageId();
        Message response;
        try {
            response = requestHandler.handle(request);
        } catch (Throwable t) {
            request.close();
            sendError(ch, id, t);
            return t;
        }
        if (response == null) {
            response = request;
            response.headers().clear();
            response.body().clear();
        } else if (response != request) {
            request.close();
        }
        try {
            response.opCode(OpCode.RESPONSE).channel(ch).messageId(id);
        } catch (RuntimeException e) { // the handler returned a message it does not own
            sendError(ch, id, e);
            return e;
        }
        try {
            Parts.post(ampe, group, response, false);
            return null;
        } catch (TofuException e) {
            if (isChannelGone(e.status())) {
                metrics.late();
                LOG.debug("channel {}: response to {} dropped: {}", ch, Long.toUnsignedString(id), e.getMessage());
            } else {
                sendError(ch, id, e); // for example text headers over 65535 bytes
            }
            return e;
        }
    }

    /** Runs the streaming handler; returns what went wrong, or {@code null}. */
    private Throwable runStreaming(int ch, Message request) {
        Responder out = new Responder(ch, request);
        try {
            streamingHandler.handle(request, out);
            out.finish();
            return null;
        } catch (Throwable t) {
            if (out.finished) {
                LOG.warn("channel {}: streaming handler failed after its last part", ch, t);
            } else {
                out.finished = true;
                if (t instanceof TofuException x && isChannelGone(x.status())) {
                    metrics.late();
                }
                sendError(ch, out.id, t);
            }
            return t;
        } finally {
            if (!out.requestConsumed) {
                request.close();
            }
        }
    }

    /** Answers {@code id} with an empty RESPONSE carrying {@code ~error}. */
    private void sendError(int ch, long id, Throwable t) {
        LOG.debug("channel {}: handler for {} failed", ch, Long.toUnsignedString(id), t);
        try {
            Message e = ampe.get(AllocationStrategy.ALWAYS);
            e.opCode(OpCode.RESPONSE).channel(ch).messageId(id);
            e.headers().append(Parts.ERROR_HEADER, Parts.errorText(t));
            Parts.postOrRelease(group, e);
        } catch (TofuException x) {
            LOG.debug("channel {}: error response dropped: {}", ch, x.getMessage());
        }
    }

    private static boolean isChannelGone(Status s) {
        return s == Status.INVALID_CHANNEL_NUMBER || s == Status.SHUTDOWN_STARTED || s == Status.CHANNEL_CLOSED;
    }

    /** Posts {@code m} (releasing it on failure); false if the post failed. */
    private boolean postQuietly(Message m) {
        OpCode op = m.opCode(); // read before the post: the message is not ours afterwards
        try {
            Parts.postOrRelease(group, m);
            return true;
        } catch (TofuException e) {
            LOG.debug("post of {} failed: {}", op, e.getMessage());
            return false;
        }
    }

    /** The {@link Server.Responder} of one streaming request; used by its handler thread only. */
    private final class Responder implements Server.Responder {
        final int channel;
        final long id;
        final Message request;
        boolean finished;
        boolean requestConsumed;

        Responder(int channel, Message request) {
            this.channel = channel;
            this.id = request.messageId();
            this.request = request;
        }

        @Override
        public Message newMessage() {
            return ampe.get(AllocationStrategy.ALWAYS);
        }

        @Override
        public void send(Message part, boolean more) {
            post(part, OpCode.RESPONSE, more);
            if (!more) {
                finished = true;
            }
        }

        @Override
        public void progress(Message signal) {
            post(signal, OpCode.SIGNAL, false);
        }

        private void post(Message m, OpCode op, boolean more) {
            if (finished) {
                if (m != request) {
                    m.close(); // consumed, as the Javadoc says (the request itself is released by the server)
                }
                throw new IllegalStateException("the last part of the response was already sent");
            }
            if (m == request) {
                requestConsumed = true;
            }
            try {
                m.opCode(op).channel(channel).messageId(id);
            } catch (RuntimeException e) {
                if (m != request) {
                    m.close();
                }
                throw e;
            }
            Parts.post(ampe, group, m, more);
        }

        void finish() {
            if (!finished) {
                send(ampe.get(AllocationStrategy.ALWAYS), false);
            }
        }
    }

    // ---- stop ------------------------------------------------------------------------------------

    /** Graceful stop, as {@link Server#stop(Duration)}. Any thread; idempotent. */
    public void stop(Duration deadline) {
        stopLock.lock();
        try {
            boolean begin;
            lock.lock();
            try {
                begin = phase == Phase.RUNNING;
                if (begin) {
                    phase = Phase.DRAINING;
                }
            } finally {
                lock.unlock();
            }
            if (!begin) {
                if (!shutDownDone) {
                    shutDown(); // the reactor closed under the server: release what is left
                }
                return;
            }
            long end = PendingCall.deadline(deadline);
            for (int l : listeners) {
                postQuietly(control(OpCode.BYE_SIGNAL, l)); // no new client from now on
            }
            List<Integer> draining = new ArrayList<>();
            lock.lock();
            try {
                for (ChannelState cs : channels.values()) {
                    if (cs.connected && !cs.closed) {
                        cs.drainSent = true;
                        draining.add(cs.channel);
                    }
                }
            } finally {
                lock.unlock();
            }
            String left = Long.toString(Math.max(0, TimeUnit.NANOSECONDS.toMillis(PendingCall.remaining(end))));
            for (int ch : draining) { // GOAWAY: clients stop sending and answer ~drain:ack
                Message m = control(OpCode.SIGNAL, ch);
                m.messageId(pushIds.incrementAndGet());
                m.headers().append(Parts.DRAIN_HEADER, left);
                postQuietly(m);
            }
            List<Integer> clients;
            lock.lock();
            try {
                while ((total > 0 || !drainAcknowledged()) && phase == Phase.DRAINING) {
                    long wait = PendingCall.remaining(end);
                    if (wait == 0) {
                        LOG.warn("server stop: {} request(s) still running or waiting after {}{}", total, deadline,
                                drainAcknowledged() ? "" : "; some clients did not answer the drain");
                        break;
                    }
                    drained.awaitNanos(wait);
                }
                if (phase == Phase.DRAINING) {
                    phase = Phase.CLOSING;
                }
                room.signalAll();
                clients = channels.keys();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // stop at once, keep the flag
                phase = Phase.CLOSING;
                clients = List.of();
            } finally {
                lock.unlock();
            }
            for (int ch : clients) {
                postQuietly(control(OpCode.BYE_REQUEST, ch));
            }
            lock.lock();
            try {
                long now = System.nanoTime();
                long byeEnd = now + Math.min(BYE_WAIT_NANOS, Math.max(end - now, TimeUnit.MILLISECONDS.toNanos(100)));
                while (!channels.isEmpty() && dispatcher.isAlive() && !Thread.currentThread().isInterrupted()) {
                    long wait = PendingCall.remaining(byeEnd);
                    if (wait == 0) {
                        break;
                    }
                    channelsGone.awaitNanos(wait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
            shutDown();
        } finally {
            stopLock.unlock();
        }
    }

    /** Whether every channel sent a ~drain Signal answered it (or closed). Called with {@code lock} held. */
    private boolean drainAcknowledged() {
        for (ChannelState cs : channels.values()) {
            if (cs.drainSent && !cs.drainAcked && !cs.closed) {
                return false;
            }
        }
        return true;
    }

    /** Abortive stop, as {@link Server#abort()}. Any thread; idempotent; returns promptly. */
    public void abort() {
        stopLock.lock();
        try {
            if (shutDownDone) {
                return;
            }
            List<Integer> clients;
            lock.lock();
            try {
                phase = Phase.CLOSING;
                room.signalAll();
                clients = channels.keys();
            } finally {
                lock.unlock();
            }
            for (int l : listeners) {
                postQuietly(control(OpCode.BYE_SIGNAL, l));
            }
            for (int ch : clients) {
                postQuietly(control(OpCode.BYE_SIGNAL, ch));
            }
            shutDown();
        } finally {
            stopLock.unlock();
        }
    }

    /**
     * Destroys the group, interrupts handlers still running and gives them {@link #HANDLER_GRACE_NANOS}
     * in all to end (a handler that ignores its interrupt is left to finish on its own: its response is
     * dropped), releases backlogs. Called with {@code stopLock} held.
     */
    private void shutDown() {
        shutDownDone = true;
        List<Message> dropped = new ArrayList<>();
        lock.lock();
        try {
            phase = Phase.CLOSED;
            room.signalAll();
        } finally {
            lock.unlock();
        }
        group.close();
        join(dispatcher);
        closedForWorkers = true;
        for (Worker w : List.copyOf(workers)) {
            w.thread.interrupt(); // a running handler sees its interrupt; an idle worker wakes and ends
        }
        long graceEnd = System.nanoTime() + HANDLER_GRACE_NANOS;
        for (Worker w : List.copyOf(workers)) {
            long wait = PendingCall.remaining(graceEnd);
            try {
                if (wait == 0 || !w.thread.join(Duration.ofNanos(wait))) {
                    break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int stuck = workers.size();
        if (stuck > 0) {
            LOG.warn("server stopped with {} handler(s) still running (they ignored their interrupt); "
                    + "their responses will be dropped", stuck);
        }
        lock.lock();
        try {
            for (ChannelState cs : channels.values()) {
                dropped.addAll(cs.backlog);
                total -= cs.backlog.size();
                cs.backlog.clear();
                cs.closed = true;
            }
            channels.clear();
        } finally {
            lock.unlock();
        }
        dropped.forEach(Message::close);
    }

    private static void join(Thread t) {
        if (t == Thread.currentThread()) {
            return;
        }
        try {
            if (!t.join(Duration.ofNanos(JOIN_NANOS))) {
                LOG.warn("{} did not end within {} s", t.getName(), TimeUnit.NANOSECONDS.toSeconds(JOIN_NANOS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Message control(OpCode op, int channel) {
        Message m;
        try {
            m = ampe.get(AllocationStrategy.ALWAYS);
        } catch (TofuException e) {
            m = new Message(); // the reactor is closed: the post below fails and releases it
        }
        return m.opCode(op).channel(channel);
    }
}
