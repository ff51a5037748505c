package dev.tofu.internal.rpc;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Status;
import dev.tofu.TofuDrainingException;
import dev.tofu.TofuException;
import dev.tofu.TofuInterruptedException;
import dev.tofu.TofuRemoteException;
import dev.tofu.TofuTimeoutException;
import dev.tofu.internal.concurrent.ClassPreload;
import dev.tofu.internal.engine.Group;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessageStore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Consumer;

/**
 * One connected client channel of a {@link dev.tofu.Client}: its own {@link ChannelGroup}, the one
 * receiver virtual thread that calls {@link ChannelGroup#waitReceive} on it, and the table of calls
 * waiting for a response, keyed by message id.
 *
 * <p>Fast path: once connected, the connection installs a frame tap on its group
 * ({@link Group#tap}), so the channel's reader thread hands each RESPONSE part of a plain
 * (non-streaming) call straight to the waiting caller, past the group's queue and the receiver
 * thread: one thread hand-off per response instead of two. Everything else (progress SIGNALs,
 * streaming calls' parts, Bye frames, engine notices, late responses the tap does not know) goes
 * through the queue to the receiver as before. This is the one place the client reaches into the
 * engine below the public API.
 *
 * <p>Threads: {@link #open} runs on the connecting thread and reads the group itself until the
 * HelloResponse arrives, and only then installs the tap and starts the receiver (so the group
 * never has two readers). After that, any number of caller threads post and wait concurrently; the
 * channel's reader (through the tap) and the receiver hand responses to their {@link PendingCall}s.
 * {@code pending} is a concurrent table; {@code open} and {@code reason} are volatile.
 *
 * <p>Invariants: a call is in {@code pending} before its request is posted, so a fast response is
 * never missed; the tap or the receiver removes the entry when the last part arrives, the caller when it gives
 * up (timeout, failure); a response with no live entry is released and counted as late, never
 * handed to another call (ids come from a per-client counter and are not reused). {@code open} is
 * cleared before the pending calls are failed, and callers re-check it after registering, so no call
 * registered during a close is left waiting.
 *
 * <p>Drain (see {@link dev.tofu.Server#stop}): when the server's {@code ~drain} Signal arrives, the
 * receiver takes {@code drainLock} for writing, sets {@code draining} and answers with a {@code ~drain}
 * Signal of its own. A caller checks {@code draining} and posts its request under the read lock, so
 * every request is either posted before that answer (and the server, reading the channel in order,
 * sees it before the answer and serves it) or refused with {@link TofuDrainingException}, never
 * posted. The lock is a {@link StampedLock}: no thread-local hold counts for a million virtual threads.
 */
public final class ClientConnection {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);
    static {
        // Load what the receiver and caller threads use now, not on them (see ClassPreload).
        ClassPreload.load(PendingCall.class, Parts.class, TofuTimeoutException.class, CallMetrics.class,
                CallMetrics.Trace.class, RpcEvents.Call.class, PendingTable.class, Latency.class, TofuInterruptedException.class,
                TofuDrainingException.class, TofuRemoteException.class);
    }

    /** How long {@link #close()} waits for the server to answer its ByeRequest. */
    static final long BYE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Ampe ampe;
    private final ChannelGroup group;
    private final int channel;
    private final AtomicLong ids;
    private final CallMetrics metrics;
    private final Consumer<Message> listener;
    private final List<Message> early;        // SIGNALs that came before the HelloResponse; receiver only
    private final StampedLock drainLock = new StampedLock();
    private volatile boolean draining;        // written under drainLock's write lock
    private static final MessageAccess ACCESS = MessageAccess.get();
    private static final int RESPONSE_CODE = OpCode.RESPONSE.code();
    private final PendingTable pending = new PendingTable();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread receiver;
    private volatile boolean open = true;
    private volatile TofuException reason;    // why the channel closed; first writer wins (closeLock)
    private final ReentrantLock closeLock = new ReentrantLock();
    private Status firstReturned;             // receiver thread only: status of the first returned message

    private ClientConnection(Ampe ampe, ChannelGroup group, int channel, AtomicLong ids, CallMetrics metrics,
                             Consumer<Message> listener, List<Message> early) {
        this.ampe = ampe;
        this.group = group;
        this.channel = channel;
        this.ids = ids;
        this.metrics = metrics;
        this.listener = listener;
        this.early = early;
        this.receiver = Thread.ofVirtual().name("tofu-client-" + channel + "-receiver").unstarted(this::receive);
    }

    // ---- connecting --------------------------------------------------------------------------

    /**
     * Opens a channel to {@code address} on a new group and waits up to {@code timeout} for the
     * server's HelloResponse; on success starts the receiver. On any failure the group is destroyed
     * (every message in it goes back to the pool) before the exception leaves.
     *
     * @throws TofuTimeoutException     no HelloResponse in time (the channel was closed with ByeSignal)
     * @throws TofuInterruptedException the calling thread was interrupted (flag kept; channel closed)
     * @throws TofuException        the engine's status (CONNECT_FAILED, INVALID_ADDRESS,
     *                              UDS_PATH_NOT_FOUND, ...), or CHANNEL_CLOSED / PEER_DISCONNECTED
     *                              when the server rejected the connection
     */
    public static ClientConnection open(Ampe ampe, Address address, Duration timeout, AtomicLong ids,
                                        CallMetrics metrics, Consumer<Message> listener) {
        if (Thread.currentThread().isInterrupted()) {
            throw new TofuInterruptedException("interrupted before connecting to " + address.value());
        }
        ChannelGroup group = ampe.create();
        List<Message> early = new ArrayList<>();
        try {
            Message hello = ampe.get(AllocationStrategy.ALWAYS);
            try {
                address.format(hello);
                hello.messageId(nextId(ids));
            } catch (RuntimeException e) {
                hello.close();
                throw e;
            }
            BinaryHeader h;
            try {
                h = group.post(hello);
            } catch (RuntimeException e) {
                hello.close();
                throw e;
            }
            int ch = h.channel();
            awaitHello(ampe, group, ch, address, timeout, early);
            ClientConnection c = new ClientConnection(ampe, group, ch, ids, metrics, listener, early);
            if (group instanceof Group g) {
                g.tap(c::tapResponse);
            }
            c.receiver.start();
            return c;
        } catch (RuntimeException | Error e) {
            early.forEach(Message::close);
            group.close();
            throw e;
        }
    }

    /**
     * Reads the group until the HelloResponse. SIGNALs the server sends before it (a welcome push
     * from its connect hook, say) are kept in {@code early} for the receiver to deliver first.
     */
    private static void awaitHello(Ampe ampe, ChannelGroup group, int ch, Address address, Duration timeout,
                                   List<Message> early) {
        long deadline = PendingCall.deadline(timeout);
        Status returned = null;
        while (true) {
            long left = PendingCall.remaining(deadline);
            Message m;
            try {
                m = left == 0 ? null : group.waitReceive(Duration.ofNanos(left));
            } catch (TofuInterruptedException e) {
                m = null; // an engine that reports the interrupt itself; handled as below
                Thread.currentThread().interrupt();
            }
            if (m == null) {
                boolean interrupted = Thread.currentThread().isInterrupted(); // waitReceive returns at once then
                Message bye = ampe.get(AllocationStrategy.ALWAYS);
                bye.opCode(OpCode.BYE_SIGNAL).channel(ch);
                try {
                    Parts.postOrRelease(group, bye);
                } catch (TofuException e) {
                    LOG.debug("channel {}: ByeSignal after connect {} failed: {}", ch,
                            interrupted ? "interrupt" : "timeout", e.getMessage());
                }
                if (interrupted) {
                    throw new TofuInterruptedException("interrupted while waiting for the HelloResponse from "
                            + address.value());
                }
                throw new TofuTimeoutException("no HelloResponse from " + address.value() + " within " + timeout);
            }
            try {
                if (m.origin() == Origin.ENGINE) {
                    if (m.status() == Status.POOL_EMPTY) {
                        ampe.put(m);
                        m = null;
                        continue;
                    }
                    if (m.opCode() == OpCode.HELLO_RESPONSE && m.status() != Status.SUCCESS) {
                        throw new TofuException(m.status(), "cannot connect to " + address.value());
                    }
                    if (m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED && m.channel() == ch) {
                        throw new TofuException(returned != null ? returned : Status.PEER_DISCONNECTED,
                                "the server closed the connection to " + address.value() + " during the handshake");
                    }
                    if (returned == null && m.status() != Status.SUCCESS) {
                        returned = m.status();
                    }
                    continue;
                }
                switch (m.opCode()) {
                    case HELLO_RESPONSE -> {
                        return;
                    }
                    case BYE_RESPONSE, BYE_SIGNAL, BYE_REQUEST -> {
                        String why = m.headers().get(Parts.REASON_HEADER);
                        throw new TofuException(Status.CHANNEL_CLOSED, "the server at " + address.value()
                                + " rejected the connection" + (why == null ? "" : ": " + why));
                    }
                    case SIGNAL -> {
                        early.add(m); // delivered to the listener by the receiver, in order
                        m = null;
                    }
                    default -> LOG.debug("channel {}: {} before the HelloResponse, dropped", ch, m);
                }
            } finally {
                Parts.release(m);
            }
        }
    }

    // ---- state ---------------------------------------------------------------------------------

    /** The channel number. */
    public int channel() {
        return channel;
    }

    /** Whether the channel is open (no close, ByeRequest or client close seen yet). */
    public boolean isOpen() {
        return open;
    }

    /** The exception that describes why the channel closed (only meaningful once closed). */
    public TofuException closedException() {
        TofuException r = reason;
        return new TofuException(r == null ? Status.CHANNEL_CLOSED : r.status(),
                r == null ? "channel " + channel + " is closed" : stripStatus(r));
    }

    private static String stripStatus(TofuException e) {
        String prefix = e.status().name() + ": ";
        String m = e.getMessage();
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    /** Marks the channel closed for {@code status} and fails every waiting call at once. */
    private void markClosed(Status status, String text) {
        closeLock.lock();
        try {
            if (reason == null) {
                reason = new TofuException(status, text);
            }
            open = false;
        } finally {
            closeLock.unlock();
        }
        TofuException r = reason;
        String detail = stripStatus(r);
        for (PendingCall p : pending.all()) {
            p.fail(r.status(), detail);
        }
    }

    /**
     * Closes gracefully: fails waiting calls with SHUTDOWN_STARTED, posts a ByeRequest, waits up to
     * 2 s for the close to complete, then destroys the group and joins the receiver. Idempotent.
     */
    public void close() {
        boolean wasOpen = open;
        markClosed(Status.SHUTDOWN_STARTED, "the client is closing (channel " + channel + ")");
        if (wasOpen) {
            try {
                Message bye = ampe.get(AllocationStrategy.ALWAYS);
                bye.opCode(OpCode.BYE_REQUEST).channel(channel).messageId(nextId(ids));
                Parts.postOrRelease(group, bye);
            } catch (TofuException e) {
                LOG.debug("channel {}: ByeRequest failed: {}", channel, e.getMessage());
            }
            await(ended, BYE_WAIT_NANOS);
        }
        abort();
    }

    /** Destroys the group at once (silent close), fails waiting calls, joins the receiver. */
    public void abort() {
        markClosed(Status.SHUTDOWN_STARTED, "the client is closing (channel " + channel + ")");
        group.close();
        if (Thread.currentThread() != receiver) {
            await(ended, TimeUnit.SECONDS.toNanos(10));
        }
    }

    private static void await(CountDownLatch latch, long nanos) {
        try {
            latch.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- calls ---------------------------------------------------------------------------------

    /** A plain call: posts the parts and returns the whole response (parts joined). */
    public Message call(List<Message> request, long deadline, Duration timeout) {
        PendingCall p = start(request, false);
        boolean complete = false;
        try {
            Message r = awaitWhole(p, deadline, timeout);
            complete = true;
            p.end(null);
            return r;
        } catch (RuntimeException | Error e) {
            p.end(e);
            throw e;
        } finally {
            if (!complete) {
                giveUp(p);
            }
        }
    }

    private Message awaitWhole(PendingCall p, long deadline, Duration timeout) {
        Message whole = null;
        try {
            while (true) {
                Message part = p.next(deadline);
                if (part == null) {
                    throw timeout(p, timeout);
                }
                failOnError(part);
                boolean last = !part.more();
                if (whole == null) {
                    whole = part;
                } else {
                    Parts.appendBody(whole, part);
                    part.close();
                }
                if (last) {
                    whole.more(false);
                    Message r = whole;
                    whole = null;
                    return r;
                }
            }
        } finally {
            Parts.release(whole);
        }
    }

    /** A streaming call: each part and progress SIGNAL goes to {@code onPart} on this thread. */
    public void call(Message request, long deadline, Duration timeout, Consumer<Message> onPart) {
        PendingCall p = start(List.of(request), true);
        boolean complete = false;
        try {
            while (true) {
                Message part = p.next(deadline);
                if (part == null) {
                    throw timeout(p, timeout);
                }
                boolean last = PendingCall.isLast(part);
                failOnError(part);
                try {
                    onPart.accept(part);
                } finally {
                    part.close();
                }
                if (last) {
                    complete = true;
                    p.end(null);
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            p.end(e);
            throw e;
        } finally {
            if (!complete) {
                giveUp(p);
            }
        }
    }

    /** A streaming call as an iterator over the parts (and progress SIGNALs). */
    public Iterator<Message> stream(Message request, long deadline, Duration timeout) {
        PendingCall p = start(List.of(request), true);
        return new Iterator<>() {
            private Message next;      // caller thread only
            private boolean finished;  // caller thread only

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                if (finished) {
                    return false;
                }
                Message part;
                try {
                    part = p.next(deadline);
                    if (part == null) {
                        throw timeout(p, timeout);
                    }
                    failOnError(part);
                } catch (RuntimeException e) {
                    finished = true;
                    p.end(e);
                    giveUp(p);
                    throw e;
                }
                finished = PendingCall.isLast(part);
                if (finished) {
                    p.end(null);
                }
                next = part;
                return true;
            }

            @Override
            public Message next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("the response is complete");
                }
                Message m = next;
                next = null;
                return m;
            }
        };
    }

    /** Posts a one-way SIGNAL. Consumes {@code signal}. */
    public void send(Message signal) {
        if (!open) {
            signal.close();
            throw closedException();
        }
        try {
            signal.opCode(OpCode.SIGNAL).channel(channel);
            if (signal.messageId() == 0) {
                signal.messageId(nextId(ids));
            }
        } catch (RuntimeException e) {
            signal.close();
            throw e;
        }
        try {
            Parts.post(ampe, group, signal, false);
        } catch (TofuException e) {
            throw translate(e);
        }
    }

    /** Registers the call, then posts every part (same id, more on all but the last). Consumes the parts. */
    private PendingCall start(List<Message> parts, boolean wantsSignals) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one part");
        }
        if (Thread.currentThread().isInterrupted()) {
            releaseFrom(parts, 0);
            metrics.refused();
            throw new TofuInterruptedException("interrupted before sending a request on channel " + channel);
        }
        long stamp = drainLock.readLock(); // no drain answer can pass between the check and the post
        try {
            return startUnderReadLock(parts, wantsSignals);
        } finally {
            drainLock.unlockRead(stamp);
        }
    }

    private PendingCall startUnderReadLock(List<Message> parts, boolean wantsSignals) {
        if (draining) {
            releaseFrom(parts, 0);
            metrics.refused();
            throw new TofuDrainingException("the server on channel " + channel
                    + " is draining (shutting down); the request was not sent");
        }
        long id = parts.get(0).messageId();
        PendingCall p;
        if (id != 0) {
            p = new PendingCall(id, wantsSignals);
            if (!pending.register(p)) {
                releaseFrom(parts, 0);
                throw new IllegalArgumentException("message id " + Long.toUnsignedString(id) + " is already pending");
            }
        } else {
            do {
                id = nextId(ids);
                p = new PendingCall(id, wantsSignals);
            } while (!pending.register(p));
        }
        if (!open) { // markClosed clears open before failing the map: re-check after registering
            pending.remove(p);
            releaseFrom(parts, 0);
            metrics.refused();
            throw closedException();
        }
        metrics.begin(p, channel, id);
        int taken = 0; // parts before this index are consumed (posted or released by Parts.post)
        try {
            while (taken < parts.size()) {
                Message part = parts.get(taken);
                boolean more = taken < parts.size() - 1;
                taken++;
                part.opCode(OpCode.REQUEST).channel(channel).messageId(id);
                Parts.post(ampe, group, part, more);
            }
        } catch (RuntimeException e) {
            releaseFrom(parts, taken);
            pending.remove(p);
            RuntimeException x = e instanceof TofuException t ? unsent(translate(t)) : e;
            p.end(x);
            throw x;
        }
        return p;
    }

    private static void releaseFrom(List<Message> parts, int from) {
        for (int i = from; i < parts.size(); i++) {
            parts.get(i).close();
        }
    }

    /**
     * A post that failed because the channel is gone says so in the words a returned request uses
     * ({@link Parts#UNSENT}): no part of a request whose post failed is executed (the server runs a
     * request only once its last part arrived), so a caller such as {@code ClusterClient} may send it
     * elsewhere. Other post failures (a rule the request broke) are left as they are.
     */
    private TofuException unsent(TofuException e) {
        Status s = e.status();
        if (open && s != Status.CHANNEL_CLOSED && s != Status.SHUTDOWN_STARTED) {
            return e;
        }
        return new TofuException(s, "channel " + channel + " " + Parts.UNSENT + ": " + stripStatus(e), e);
    }

    private TofuException translate(TofuException e) {
        if (!open) {
            return closedException();
        }
        if (e.status() == Status.INVALID_CHANNEL_NUMBER) {
            return new TofuException(Status.CHANNEL_CLOSED, "channel " + channel + " is closed");
        }
        return e;
    }

    /** Throws PROCESSING_FAILED (releasing the part) if {@code part} carries the server's {@code ~error}. */
    private static void failOnError(Message part) {
        if (part.opCode() == OpCode.RESPONSE && !part.headers().isEmpty()) {
            String err = part.headers().get(Parts.ERROR_HEADER);
            if (err != null) {
                part.close();
                throw Parts.remoteFailure(err);
            }
        }
    }

    private TofuTimeoutException timeout(PendingCall p, Duration timeout) {
        return new TofuTimeoutException("no response to message id " + Long.toUnsignedString(p.id())
                + " on channel " + channel + " within " + timeout);
    }

    /** The caller gives up: later parts are refused (and counted late by the receiver). */
    private void giveUp(PendingCall p) {
        List<Message> left = p.abandon();
        pending.remove(p);
        for (Message m : left) {
            if (PendingCall.isLast(m)) {
                metrics.late();
            }
            m.close();
        }
    }

    private static long nextId(AtomicLong ids) {
        long id;
        do {
            id = ids.incrementAndGet();
        } while (id == 0);
        return id;
    }

    /** Whether the server told this channel it is draining. */
    public boolean isDraining() {
        return draining;
    }

    // ---- receiver ------------------------------------------------------------------------------

    /**
     * The server's {@code ~drain} Signal: refuse new calls from now on, then answer with a
     * {@code ~drain:ack} Signal, which the server sees after every request posted before it.
     */
    private void drain(Message m) {
        long stamp = drainLock.writeLock(); // waits for callers between their check and their post
        try {
            draining = true;
        } finally {
            drainLock.unlockWrite(stamp);
        }
        LOG.debug("channel {}: the server is draining; new calls are refused", channel);
        m.headers().clear();
        m.body().clear();
        m.headers().append(Parts.DRAIN_HEADER, Parts.DRAIN_ACK);
        m.opCode(OpCode.SIGNAL).channel(channel);
        try {
            Parts.postOrRelease(group, m);
        } catch (TofuException e) {
            LOG.debug("channel {}: drain answer failed: {}", channel, e.getMessage());
        }
    }

    private void receive() {
        try {
            for (Message m : early) { // SIGNALs the server sent before its HelloResponse
                dispatch(m);
            }
            early.clear();
            while (true) {
                Message m;
                try {
                    m = group.waitReceive(ChannelGroup.INFINITE);
                } catch (TofuInterruptedException e) {
                    Thread.interrupted(); // nobody should interrupt this thread; keep serving
                    LOG.debug("channel {}: client receiver interrupted; ignored", channel);
                    continue;
                } catch (TofuException e) {
                    markClosed(Status.SHUTDOWN_STARTED, "channel " + channel + " closed: the client or its reactor is closing");
                    return;
                }
                if (m == null) {
                    if (Thread.interrupted()) { // an engine that returns null to an interrupted reader
                        LOG.debug("channel {}: client receiver interrupted; ignored", channel);
                    }
                    continue;
                }
                if (!dispatch(m)) {
                    group.close(); // the close Signal is the last message of the channel (§5.6)
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("channel {}: client receiver failed", channel, e);
            markClosed(Status.UNKNOWN_ERROR, "channel " + channel + ": client receiver failed: " + e);
            group.close();
        } finally {
            ended.countDown();
        }
    }

    /** Handles one message; false after the channel's close Signal. Always disposes of {@code m}. */
    private boolean dispatch(Message m) {
        if (m.origin() == Origin.ENGINE) {
            return engineMessage(m);
        }
        switch (m.opCode()) {
            case RESPONSE -> response(m);
            case SIGNAL -> signal(m);
            case BYE_REQUEST -> {
                markClosed(Status.CHANNEL_CLOSED, "channel " + channel + " closed by the server (ByeRequest)");
                m.opCode(OpCode.BYE_RESPONSE);
                try {
                    Parts.postOrRelease(group, m); // §5.5.1: answer the server's graceful close
                } catch (TofuException e) {
                    LOG.debug("channel {}: ByeResponse failed: {}", channel, e.getMessage());
                }
            }
            case BYE_RESPONSE, BYE_SIGNAL -> {
                markClosed(Status.CHANNEL_CLOSED, "channel " + channel + " closed by the server");
                m.close();
            }
            default -> {
                LOG.debug("channel {}: unexpected {}, dropped", channel, m);
                m.close();
            }
        }
        return true;
    }

    private boolean engineMessage(Message m) {
        Status s = m.status();
        if (s == Status.POOL_EMPTY) {
            ampe.put(m); // §6.6: the notice is a fresh message; putting it grows the pool by one
            return true;
        }
        if (m.opCode() == OpCode.SIGNAL && s == Status.CHANNEL_CLOSED && m.channel() == channel) {
            m.close();
            Status why = firstReturned != null ? firstReturned : Status.PEER_DISCONNECTED;
            markClosed(why, "channel " + channel + " closed: " + why);
            return false;
        }
        if (s != Status.SUCCESS && s != Status.RECEIVER_UPDATE && firstReturned == null) {
            firstReturned = s;
        }
        if (m.opCode() == OpCode.REQUEST) { // a request returned unsent: its caller fails with the reason
            PendingCall p = pending.get(m.messageId());
            if (p != null) {
                p.fail(s, "channel " + channel + " " + Parts.UNSENT + ": " + s);
            }
        }
        m.close();
        return true;
    }

    /**
     * The frame tap (on the channel's reader thread): takes a RESPONSE part of a plain call that is
     * waiting and hands it to the caller; refuses everything else, which then goes through the
     * queue to the receiver. Never blocks, never throws.
     */
    private boolean tapResponse(MessageStore f) {
        if (f.opCodeRaw() != RESPONSE_CODE || f.isFromEngine()) {
            return false;
        }
        PendingCall p = pending.get(f.messageId());
        if (p == null || p.wantsSignals()) {
            return false;
        }
        boolean last = !f.more();
        if (last) {
            pending.remove(p);
        }
        Message m = ACCESS.lease(f);
        if (!p.offer(m)) { // the caller gave up a moment ago
            if (last) {
                metrics.late();
            }
            m.close();
        }
        return true;
    }

    private void response(Message m) {
        PendingCall p = pending.get(m.messageId());
        boolean last = !m.more();
        if (p != null && last) {
            pending.remove(p);
        }
        if (p == null || !p.offer(m)) {
            if (last) {
                metrics.late();
            }
            m.close();
        }
    }

    private void signal(Message m) {
        if (m.headers().get(Parts.DRAIN_HEADER) != null) {
            drain(m);
            return;
        }
        PendingCall p = m.messageId() == 0 ? null : pending.get(m.messageId());
        if (p != null && p.wantsSignals() && p.offer(m)) {
            return;
        }
        if (listener != null) {
            try {
                listener.accept(m);
            } catch (RuntimeException e) {
                LOG.warn("channel {}: signal listener failed", channel, e);
            }
        }
        m.close();
    }
}
