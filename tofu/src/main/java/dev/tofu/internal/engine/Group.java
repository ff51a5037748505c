package dev.tofu.internal.engine;

import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Origin;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.io.BackPressureEvent;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.Owner;
import dev.tofu.internal.message.PostRules;

import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A channel group: a {@link GroupQueue} plus the channels it owns (PROTOCOL.md §6.3–§6.7).
 *
 * <p>Invariants: every message for one of its channels goes to {@code queue} or, once the queue is
 * closed, back to the pool; a channel is in {@code channels} from creation until its finisher ran.
 * After {@code destroyed} is set no channel joins (register re-checks after adding, and destroy
 * closes everything it finds after setting the flag, so either side sees the other).
 *
 * <p>Threads: {@link #post}, {@link #updateReceiver} and {@link #close} from any thread;
 * {@link #waitReceive} from one thread at a time (the queue enforces it); deliveries from the
 * channels' virtual threads.
 */
public final class Group implements ChannelGroup {
    private static final Logger LOG = LoggerFactory.getLogger(Group.class);
    private static final MessageAccess ACCESS = MessageAccess.get();

    final Engine engine;
    private final GroupQueue queue;
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final CountDownLatch destroyDone = new CountDownLatch(1);
    private volatile FrameTap tap; // the request/response layer's fast path, or null

    Group(Engine engine, int frameCapacity) {
        this.engine = engine;
        this.queue = new GroupQueue(frameCapacity, engine.options.receiveSpin().toNanos());
    }

    @Override
    public BinaryHeader post(Message message) {
        return post(message, true);
    }

    /**
     * {@link #post(Message)} without the {@link BinaryHeader} it returns: the same rules, checks and
     * exceptions, one object fewer per message (the request/response layer posts this way).
     */
    public void send(Message message) {
        post(message, false);
    }

    private BinaryHeader post(Message message, boolean wantHeader) {
        if (message == null) {
            throw new TofuException(Status.NULL_MESSAGE, "post(null)");
        }
        // the lease ends before the engine may see the store: from here no call through `message`
        // can reach it, even after the writer recycled it and someone else leased it again
        MessageStore m = ACCESS.release(message);
        if (m == null) {
            throw new IllegalStateException("post: this Message reference is no longer valid (posted twice, "
                    + "or used after put or close?): a reference is valid for one lease only");
        }
        m.setOwner(Owner.ENGINE);
        try {
            OpCode op = PostRules.prepare(m);
            if (destroyed.get() || engine.isShutdown()) {                           // rule 13
                throw PostRules.fail(m, Status.SHUTDOWN_STARTED, "the group or reactor is closed");
            }
            switch (op) {
                case WELCOME_REQUEST -> {
                    ListenerChannel ch = engine.openListener(this, m);
                    BinaryHeader h = header(m, op);
                    ch.start(m);
                    return h;
                }
                case HELLO_REQUEST -> {
                    IoChannel ch = engine.openClient(this, m);
                    BinaryHeader h = header(m, op);
                    ch.startClient(m);
                    return h;
                }
                default -> {
                    Channel ch = engine.table.get(m.channel());
                    if (ch == null) {                                                   // rule 10
                        throw PostRules.fail(m, Status.INVALID_CHANNEL_NUMBER, "no open channel " + m.channel());
                    }
                    if (ch.group != this) {                                             // rule 11
                        throw PostRules.fail(m, Status.INVALID_CHANNEL_GROUP, "channel " + m.channel() + " belongs to another group");
                    }
                    BinaryHeader h = wantHeader ? header(m, op) : null;
                    ch.accept(m, op.code());
                    return h;
                }
            }
        } catch (RuntimeException e) {
            ACCESS.restore(message, m); // nothing took it: it stays with the caller, still live
            throw e;
        }
    }

    @Override
    public Message waitReceive(Duration timeout) {
        long nanos = toNanos(timeout);
        MessageStore m = queue.take(nanos);
        return m == null ? null : ACCESS.lease(m);
    }

    @Override
    public void updateReceiver(Message message) {
        if (destroyed.get()) {
            throw new TofuException(Status.SHUTDOWN_STARTED, "the group is destroyed");
        }
        MessageStore m;
        if (message == null) {
            m = engine.notice(0, Status.RECEIVER_UPDATE, 0);
        } else {
            m = ACCESS.release(message);
            if (m == null) {
                throw new IllegalStateException("updateReceiver: this Message reference is no longer valid "
                        + "(posted, put or closed): a reference is valid for one lease only");
            }
            m.setOwner(Owner.ENGINE);
            m.setFromEngine(false);
            m.setStatusRaw(Status.RECEIVER_UPDATE.code());
        }
        if (!queue.putNotice(m)) {
            if (message != null) {
                ACCESS.restore(message, m);
            }
            throw new TofuException(Status.SHUTDOWN_STARTED, "the group is destroyed");
        }
    }

    @Override
    public Optional<UnixDomainPrincipal> peerCredentials(int channel) {
        Channel ch = engine.table.get(channel);
        if (ch == null) {
            throw new TofuException(Status.INVALID_CHANNEL_NUMBER, "no open channel " + channel);
        }
        if (ch.group != this) {
            throw new TofuException(Status.INVALID_CHANNEL_GROUP, "channel " + channel + " belongs to another group");
        }
        return ch instanceof IoChannel io ? io.peerCredentials() : Optional.empty();
    }

    @Override
    public void close() {
        engine.destroy(this);
    }

    /** Closes every channel silently, empties the queue into the pool, waits for the channels' threads. */
    void destroy() {
        if (!destroyed.compareAndSet(false, true)) {
            awaitDestroyed();
            return;
        }
        try {
            for (Channel ch : channels) {
                ch.beginSilentClose();
            }
            for (MessageStore m : queue.close()) {
                engine.pool.recycle(m);
            }
            long deadline = System.nanoTime() + Engine.TERMINATION_NANOS;
            for (Channel ch : List.copyOf(channels)) {
                if (!ch.awaitTermination(deadline)) { // joins even on an interrupted thread, keeping the flag
                    LOG.warn("channel {} did not end within the shutdown deadline", ch.number);
                }
            }
            LOG.debug("group destroyed");
        } finally {
            destroyDone.countDown();
        }
    }

    /** Adds a new channel; false (and nothing added) if the group is destroyed. */
    boolean register(Channel ch) {
        channels.add(ch);
        if (destroyed.get()) {
            channels.remove(ch);
            return false;
        }
        return true;
    }

    /** Removes a finished channel. */
    void forget(Channel ch) {
        channels.remove(ch);
    }

    /**
     * Queues a received frame the tap (if any) has already been offered and refused, waiting while
     * the queue is full; false if the group is gone (the frame then goes back to the pool). A frame
     * is offered to the tap once: a second offer would count it twice on the tap's side.
     */
    private boolean queueFrame(MessageStore m, int channel) throws InterruptedException {
        if (queue.tryPutFrame(m)) {
            return true;
        }
        if (queue.isClosed()) {
            engine.pool.recycle(m);
            return false;
        }
        BackPressureEvent event = BackPressureEvent.start();
        boolean added = queue.putFrame(m); // the application is slow: wait, and let TCP push back
        event.finish(channel, BackPressureEvent.GROUP_QUEUE);
        if (added) {
            return true;
        }
        engine.pool.recycle(m);
        return false;
    }

    /**
     * Delivers the frames {@code ms[0, n)} of one channel, in order, waiting while the queue is
     * full, and clears the slots; false if the group is gone (the frames not delivered go back to
     * the pool).
     */
    boolean deliverFrames(MessageStore[] ms, int n, int channel) throws InterruptedException {
        FrameTap t = tap;
        if (t != null) {
            n = offerToTap(t, ms, n);
            if (n == 0) {
                return true;
            }
        }
        if (n > 1 && queue.tryPutFrames(ms, n)) {
            Arrays.fill(ms, 0, n, null);
            return true;
        }
        int i = 0;
        try {
            for (; i < n; i++) {
                boolean delivered = queueFrame(ms[i], channel); // recycles ms[i] when refused; the tap saw it
                ms[i] = null;
                if (!delivered) {
                    i++;
                    return false;
                }
            }
            return true;
        } finally {
            for (; i < n; i++) { // after a refusal or an interrupt (ms[i] not added): nothing else goes in
                engine.pool.recycle(ms[i]);
                ms[i] = null;
            }
        }
    }

    /**
     * Offers {@code ms[0, n)} to the tap in order and moves the frames it refused to the front,
     * keeping their order; returns how many are left for the queue (the other slots are cleared).
     */
    private static int offerToTap(FrameTap t, MessageStore[] ms, int n) {
        int left = 0;
        for (int i = 0; i < n; i++) {
            MessageStore m = ms[i];
            ms[i] = null;
            if (!t.take(m)) {
                ms[left++] = m;
            }
        }
        return left;
    }

    /**
     * Installs the request/response layer's fast path (see {@link FrameTap}): from now on every
     * frame a reader delivers to this group is offered to {@code t} before it is queued. Engine
     * notices never are. Set it before frames the tap cares about can arrive (right after the
     * connect or listen), once.
     */
    public void tap(FrameTap t) {
        tap = t;
    }

    /** Delivers an engine notice (never waits); recycles it if the group is gone. */
    void deliverNotice(MessageStore m) {
        if (!queue.putNotice(m)) {
            engine.pool.recycle(m);
        }
    }


    /** Returns the number of messages waiting in the queue. */
    public int queued() {
        return queue.size();
    }

    /** Waits for the destroy another thread runs; an interrupt does not cut it short (the flag is kept). */
    private void awaitDestroyed() {
        boolean interrupted = false;
        while (true) {
            try {
                destroyDone.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static BinaryHeader header(MessageStore m, OpCode op) {
        return new BinaryHeader(m.channel(), op, Origin.APPLICATION, m.more(), Status.SUCCESS, m.messageId());
    }

    private static long toNanos(Duration timeout) {
        if (timeout == null) {
            throw new NullPointerException("timeout");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            return 0;
        }
        if (timeout.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L - 1) {
            return Long.MAX_VALUE; // INFINITE and other huge waits, without toNanos() overflowing
        }
        return timeout.toNanos();
    }
}
