package dev.tofu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Blocking request/response over a set of servers: each {@link #call(Message, Duration)} goes to one
 * live server of the set, picked by the {@link ClusterOptions#policy() policy} (round robin or least
 * outstanding calls), over channels the client keeps open to every server (one {@link Client} per
 * channel). TCP and Unix-domain addresses mix freely in one set.
 *
 * <pre>{@code
 * try (ClusterClient cluster = ClusterClient.connect(reactor,
 *         List.of(Address.tcpClient("10.0.0.1", 7099), Address.tcpClient("10.0.0.2", 7099)),
 *         ClusterOptions.DEFAULT.withPolicy(ClusterOptions.Policy.LEAST_OUTSTANDING))) {
 *     Message req = cluster.newMessage();
 *     req.body().append("ping".getBytes(UTF_8));
 *     try (Message resp = cluster.call(req, Duration.ofSeconds(1))) {
 *         ... resp.body() ...
 *     }
 * }
 * }</pre>
 *
 * <p><b>Which calls fail, which go elsewhere.</b> tofu has no acknowledgements, so the client only
 * moves a call when it knows the request never left:
 * <ul>
 *   <li>A call never waits on a server known to be down: only servers with an open channel that is
 *       not draining are picked.</li>
 *   <li>A request that was <em>never sent</em> goes to another server of the set, within the same
 *       call timeout: its channel was closed before sending, or its server is draining
 *       ({@link TofuDrainingException}, see {@link Server#stop(Duration)}). So a rolling restart, one
 *       server stopped with {@code stop(deadline)} at a time, fails no call.</li>
 *   <li>A request that was <em>sent</em> and whose server was lost before it answered fails with
 *       the close reason (a {@link TofuException} with {@link Status#PEER_DISCONNECTED},
 *       {@link Status#COMMUNICATION_FAILED}, ...): it may or may not have run, and it is never sent
 *       again on the client's own initiative. Calls that may run twice opt in with
 *       {@link #call(Message, Duration, boolean) call(request, timeout, true)} or
 *       {@link ClusterOptions#withRetryIdempotent(boolean)}: they are sent once more to each other
 *       server until one answers or the timeout passes.</li>
 *   <li>Handler failures ({@link TofuRemoteException}), timeouts ({@link TofuTimeoutException}) and
 *       interrupts ({@link TofuInterruptedException}) are thrown as {@link Client} throws them: the
 *       server was reached.</li>
 *   <li>When no server can take the call (all down, draining or already tried, or the set is empty),
 *       the call throws {@link TofuUnavailableException} <em>at once</em>, without waiting for a
 *       reconnect; the request was not sent.</li>
 * </ul>
 * A call therefore never blocks longer than its timeout, and never in a connect: connecting and
 * reconnecting happen in the background.
 *
 * <p><b>Reconnect.</b> Each server has a virtual thread, named {@code tofu-cluster-<address>}, that
 * opens its channels, notices a lost or closed one (at once when a call finds it closed, else within
 * 100 ms) and reconnects with back-off ({@link ClientOptions#reconnectBackoffMin()} doubling up to
 * {@link ClientOptions#reconnectBackoffMax()} of {@link ClusterOptions#clientOptions()}). A server
 * that comes back rejoins the set by itself. A lost link that the peer does not close (a cut cable)
 * is noticed only by the reactor's {@link Options#withIdleTimeout idle timeout} or
 * {@link Options#withKeepAlive TCP keepalive}; set one on the reactor.
 *
 * <p><b>Changing the set.</b> {@link #add(Address)} and {@link #remove(Address)} work at run time,
 * so the set can follow DNS or a discovery service. A removed server takes no new call; its calls
 * in flight finish, then its channels close.
 *
 * <p><b>Ownership.</b> As with {@link Client}, a request handed to {@code call} is consumed whether
 * the call succeeds or not; the response belongs to the caller. To be able to send a request again
 * elsewhere, the client copies it (headers and body) before each attempt while another server could
 * still take it, and releases the copy when it is not needed.
 *
 * <p><b>Observability.</b> {@link #stats()} returns a {@link ClusterStats} snapshot with the figures
 * of every server (calls, failures, refusals, in flight, state). A {@link CallListener} set in
 * {@link ClusterOptions#clientOptions()} hears every attempt sent, on every server.
 *
 * <p><b>Threads.</b> Every method is safe from any thread.
 */
public final class ClusterClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterClient.class);
    /** How often a server's connector checks its channels when no call told it about a lost one. */
    private static final long HEALTH_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    static {
        // Load what the connector threads use now, on the thread that first touches this class: several
        // virtual threads initialising one class at once contend for its monitor, which pins them.
        try {
            Class.forName("dev.tofu.internal.rpc.ClientConnection", true, ClusterClient.class.getClassLoader());
            Class.forName(Client.class.getName(), true, ClusterClient.class.getClassLoader());
            Class.forName(TofuUnavailableException.class.getName(), true, ClusterClient.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Held around connect attempts until one succeeded in this JVM: the first connects initialise the
     * classes a channel uses, and virtual threads initialising a class at once contend for its monitor,
     * which pins their carriers. A lock parks them instead.
     */
    private static final ReentrantLock FIRST_CONNECT = new ReentrantLock();
    private static volatile boolean warm;

    /** Set by the channels' call listener on the calling thread when a request is sent. */
    private static final ThreadLocal<Attempt> ATTEMPT = ThreadLocal.withInitial(Attempt::new);

    private final Reactor reactor;
    private final ClusterOptions options;
    private final ClientOptions clientOptions;
    private final ReentrantLock setLock = new ReentrantLock();
    private volatile Member[] members = new Member[0];      // the live set; copy-on-write under setLock
    private final List<Member> all = new ArrayList<>();    // the set plus removed members still closing; setLock
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder calls = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rerouted = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder unavailable = new LongAdder();

    private ClusterClient(Reactor reactor, ClusterOptions options) {
        this.reactor = reactor;
        this.options = options;
        CallListener user = options.clientOptions().callListener();
        this.clientOptions = options.clientOptions().withReconnect(false).withCallListener(new CallListener() {
            @Override
            public void started(int channel, long messageId) {
                Attempt a = ATTEMPT.get();
                a.sent = true;
                if (a.member != null) {
                    a.member.calls.increment();
                }
                if (user != null) {
                    user.started(channel, messageId);
                }
            }

            @Override
            public void finished(int channel, long messageId, Duration elapsed, Throwable failure) {
                if (user != null) {
                    user.finished(channel, messageId, elapsed, failure);
                }
            }
        });
    }

    /**
     * Connects with {@link ClusterOptions#DEFAULT}.
     *
     * @param reactor   the engine that runs every channel
     * @param addresses the servers' client addresses
     * @return the cluster client
     * @see #connect(Reactor, List, ClusterOptions)
     */
    public static ClusterClient connect(Reactor reactor, List<Address> addresses) {
        return connect(reactor, addresses, ClusterOptions.DEFAULT);
    }

    /**
     * Starts connecting to every server of {@code addresses} (in parallel) and waits until each one
     * was tried once: connected, or failed (at most {@link ClientOptions#connectTimeout()} of
     * {@link ClusterOptions#clientOptions()}). Servers that could not be reached do not make this
     * fail: they are retried in the background and join when they answer; until one does, calls
     * throw {@link TofuUnavailableException}. An empty list is allowed ({@link #add(Address)} later).
     *
     * @param reactor   the engine that runs every channel (size its pool for the calls in flight)
     * @param addresses the servers' client addresses ({@link Address#tcpClient}, {@link Address#udsClient}), no duplicates
     * @param options   the cluster settings
     * @return the cluster client
     * @throws IllegalArgumentException an address is a server address, or appears twice
     * @throws TofuInterruptedException the calling thread was interrupted while waiting (flag kept;
     *                                  the client is closed)
     */
    public static ClusterClient connect(Reactor reactor, List<Address> addresses, ClusterOptions options) {
        Objects.requireNonNull(reactor, "reactor");
        Objects.requireNonNull(options, "options");
        List<Address> list = List.copyOf(addresses);
        for (int i = 0; i < list.size(); i++) {
            check(list.get(i));
            if (list.subList(0, i).contains(list.get(i))) {
                throw new IllegalArgumentException("address given twice: " + list.get(i).value());
            }
        }
        ClusterClient c = new ClusterClient(reactor, options);
        for (Address a : list) {
            c.add(a);
        }
        long deadline = System.nanoTime() + options.clientOptions().connectTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        try {
            for (Member m : c.members) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !m.firstAttempt.await(left, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new TofuInterruptedException("interrupted while connecting to the cluster");
        }
        return c;
    }

    private static void check(Address a) {
        Objects.requireNonNull(a, "address");
        if (a.isServer()) {
            throw new IllegalArgumentException("a cluster needs client addresses, got the server address " + a.value());
        }
    }

    /**
     * Returns a cleared message owned by the caller, to build a request.
     *
     * @return a cleared message from the reactor's pool
     */
    public Message newMessage() {
        return reactor.ampe().get(AllocationStrategy.ALWAYS);
    }

    /**
     * Sends {@code request} to one server of the set and blocks until its response, as
     * {@link Client#call(Message, Duration)}; retries after a lost server only if
     * {@link ClusterOptions#retryIdempotent()} is set. See the class comment for which failures move
     * the call to another server.
     *
     * @param request the request, consumed whether the call succeeds or not
     * @param timeout how long to wait for the whole response, moves to other servers included
     * @return the response, owned by the caller
     * @throws TofuUnavailableException no server could take the call; the request was not sent
     * @throws TofuTimeoutException     no complete response within {@code timeout}
     * @throws TofuRemoteException      the server's handler failed
     * @throws TofuInterruptedException the calling thread was interrupted (flag kept)
     * @throws TofuException            the request was sent and its server was lost (the close reason)
     */
    public Message call(Message request, Duration timeout) {
        return call(request, timeout, options.retryIdempotent());
    }

    /**
     * Sends {@code request} to one server of the set and blocks until its response. With
     * {@code idempotent}, a request that was sent and whose server was lost before it answered is
     * sent again to another server (each server at most once per call) while the timeout allows;
     * without it, the call fails with the close reason. Requests that were never sent always move
     * to another server.
     *
     * @param request    the request, consumed whether the call succeeds or not
     * @param timeout    how long to wait for the whole response, moves to other servers included
     * @param idempotent whether the server may run this request twice
     * @return the response, owned by the caller
     * @throws TofuUnavailableException no server could take the call; the request was not sent by
     *                                  this attempt (an idempotent call may have been sent before)
     * @throws TofuTimeoutException     no complete response within {@code timeout}
     * @throws TofuRemoteException      the server's handler failed
     * @throws TofuInterruptedException the calling thread was interrupted (flag kept)
     * @throws TofuException            the request was sent and its server was lost (the close reason)
     */
    public Message call(Message request, Duration timeout, boolean idempotent) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(timeout, "timeout");
        calls.increment();
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        Message current = request;
        Message spare = null;
        List<Member> tried = null;
        TofuException last = null;
        boolean ok = false;
        try {
            while (true) {
                Member[] set = members;
                Pick p = pick(set, tried);
                if (p == null) {
                    unavailable.increment();
                    throw unavailable(set, tried, last);
                }
                Member m = p.member;
                int others = set.length - 1 - (tried == null ? 0 : tried.size());
                if (others > 0) {
                    try {
                        spare = copy(current, newMessage());
                    } catch (RuntimeException | Error e) {
                        m.inFlight.decrementAndGet();
                        throw e;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    m.inFlight.decrementAndGet();
                    throw new TofuTimeoutException("no server took the call within " + timeout
                            + (last == null ? "" : "; last refusal: " + last.getMessage()));
                }
                Attempt attempt = ATTEMPT.get();
                attempt.sent = false;
                attempt.member = m;
                Message toSend = current;
                current = null; // consumed by the call below, whatever happens
                try {
                    Message r = p.client.call(toSend, Duration.ofNanos(left));
                    m.succeeded.increment();
                    ok = true;
                    return r;
                } catch (TofuException e) {
                    boolean sent = attempt.sent;
                    if (sent && returnedUnsent(e)) { // the engine gave the request back unwritten
                        sent = false;
                        m.calls.decrement();
                    }
                    if (sent) {
                        m.failed.increment();
                    }
                    if (e instanceof TofuInterruptedException || e instanceof TofuTimeoutException
                            || e instanceof TofuRemoteException) {
                        throw e; // the server was reached, or the caller gave up
                    }
                    if (tried == null) {
                        tried = new ArrayList<>(set.length);
                    }
                    tried.add(m);
                    m.wake(); // draining or closed: let its connector look now
                    if (!sent) {
                        m.refused.increment();
                        if (spare == null) {
                            unavailable.increment();
                            throw unavailable(set, tried, e);
                        }
                        rerouted.increment();
                    } else if (idempotent && spare != null) {
                        retried.increment();
                    } else {
                        throw e;
                    }
                    last = e;
                    current = spare;
                    spare = null;
                } finally {
                    attempt.member = null;
                    m.inFlight.decrementAndGet();
                }
            }
        } finally {
            if (current != null) {
                current.close();
            }
            if (spare != null) {
                spare.close();
            }
            (ok ? succeeded : failed).increment();
        }
    }

    /**
     * Adds a server to the set and starts connecting to it in the background; it takes calls once
     * its first channel is open ({@link ClusterStats.State#READY}). Returns at once.
     *
     * @param address a client address
     * @return {@code false} if it is already in the set
     * @throws IllegalArgumentException a server address
     * @throws TofuException            the client is closed ({@link Status#SHUTDOWN_STARTED})
     */
    public boolean add(Address address) {
        check(address);
        setLock.lock();
        try {
            if (closed.get()) {
                throw new TofuException(Status.SHUTDOWN_STARTED, "the cluster client is closed");
            }
            for (Member m : members) {
                if (m.address.equals(address)) {
                    return false;
                }
            }
            Member m = new Member(address);
            Member[] grown = java.util.Arrays.copyOf(members, members.length + 1);
            grown[grown.length - 1] = m;
            all.add(m);
            members = grown;
            m.connector = Thread.ofVirtual().name("tofu-cluster-" + address.value()).start(() -> connector(m));
            return true;
        } finally {
            setLock.unlock();
        }
    }

    /**
     * Removes a server from the set: from now on no call picks it; calls already on it finish (or
     * fail or time out as they would), then its channels close (gracefully, with a ByeRequest), in
     * the background. Returns at once.
     *
     * @param address a client address of the set
     * @return {@code false} if it was not in the set
     */
    public boolean remove(Address address) {
        Objects.requireNonNull(address, "address");
        Member gone = null;
        setLock.lock();
        try {
            Member[] set = members;
            List<Member> keep = new ArrayList<>(set.length);
            for (Member m : set) {
                if (m.address.equals(address)) {
                    gone = m;
                } else {
                    keep.add(m);
                }
            }
            if (gone == null) {
                return false;
            }
            gone.removed = true; // before the new set: a caller that picked it re-checks after counting itself in flight
            members = keep.toArray(new Member[0]);
        } finally {
            setLock.unlock();
        }
        LockSupport.unpark(gone.connector);
        return true;
    }

    /**
     * Returns the addresses of the set, in the order they were added.
     *
     * @return an immutable list
     */
    public List<Address> addresses() {
        List<Address> out = new ArrayList<>();
        for (Member m : members) {
            out.add(m.address);
        }
        return List.copyOf(out);
    }

    /**
     * Returns a snapshot of the client's counters and of each server's figures and state (removed
     * servers whose channels are still closing are listed too, as {@link ClusterStats.State#REMOVED}).
     *
     * @return a new snapshot
     */
    public ClusterStats stats() {
        List<Member> list;
        setLock.lock();
        try {
            list = new ArrayList<>(all);
        } finally {
            setLock.unlock();
        }
        List<ClusterStats.Member> servers = new ArrayList<>(list.size());
        for (Member m : list) {
            servers.add(m.figures());
        }
        return new ClusterStats(calls.sum(), succeeded.sum(), failed.sum(), rerouted.sum(), retried.sum(),
                unavailable.sum(), servers);
    }

    /**
     * Closes every channel (calls waiting fail at once with {@link Status#SHUTDOWN_STARTED}, as
     * {@link Client#close()} does) and stops the background connectors. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<Member> list;
        setLock.lock();
        try {
            list = new ArrayList<>(all);
            members = new Member[0];
        } finally {
            setLock.unlock();
        }
        for (Member m : list) {
            m.closeChannels();
        }
        for (Member m : list) {
            if (m.connecting) {
                m.connector.interrupt(); // a connect attempt in progress ends at once
            }
            LockSupport.unpark(m.connector);
        }
        for (Member m : list) {
            try {
                m.connector.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            m.closeChannels(); // one the connector opened while we closed
        }
    }

    @Override
    public String toString() {
        return "ClusterClient" + addresses() + (closed.get() ? " closed" : "");
    }

    // ---- picking -------------------------------------------------------------------------------

    /** A server and the channel a call uses; the server counts the call in flight. */
    private record Pick(Member member, Client client) {
    }

    private Pick pick(Member[] set, List<Member> tried) {
        int n = set.length;
        if (n == 0) {
            return null;
        }
        if (options.policy() == ClusterOptions.Policy.ROUND_ROBIN) {
            // take the next in turn; when it cannot take the call, draw again (so the ready servers keep
            // equal shares), then scan once
            for (int k = 0; k < n; k++) {
                Member m = set[Math.floorMod(next.getAndIncrement(), n)];
                Pick p = tryPick(m, tried);
                if (p != null) {
                    return p;
                }
            }
            for (Member m : set) {
                Pick p = tryPick(m, tried);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        while (true) {
            int start = Math.floorMod(next.getAndIncrement(), n);
            Member best = null;
            int bestLoad = Integer.MAX_VALUE;
            for (int k = 0; k < n; k++) {
                Member m = set[(start + k) % n];
                if (tried != null && tried.contains(m)) {
                    continue;
                }
                int load = m.inFlight.get();
                if (load < bestLoad && m.ready()) {
                    best = m;
                    bestLoad = load;
                }
            }
            if (best == null) {
                return null;
            }
            Pick p = tryPick(best, tried);
            if (p != null) {
                return p;
            }
            // it turned unusable between the look and the pick: look again (it no longer counts as ready)
        }
    }

    /** The member's next usable channel, counted in flight, or null. */
    private static Pick tryPick(Member m, List<Member> tried) {
        if (tried != null && tried.contains(m)) {
            return null;
        }
        Client c = m.channel();
        if (c == null) {
            return null;
        }
        m.inFlight.incrementAndGet();
        if (m.removed) { // remove() sets the flag before it waits for in-flight calls to end
            m.inFlight.decrementAndGet();
            return null;
        }
        return new Pick(m, c);
    }

    private TofuUnavailableException unavailable(Member[] set, List<Member> tried, TofuException last) {
        if (set.length == 0) {
            return new TofuUnavailableException(closed.get() ? "the cluster client is closed" : "no server in the set", null);
        }
        StringBuilder b = new StringBuilder("no server can take the call:");
        Throwable cause = last;
        for (Member m : set) {
            ClusterStats.Member f = m.figures();
            b.append(' ').append(m.address.value()).append('=')
                    .append(tried != null && tried.contains(m) ? "refused" : f.state().name());
            TofuException e = m.lastError;
            if (e != null && f.state() != ClusterStats.State.READY) {
                b.append(" (").append(e.getMessage()).append(')');
                if (cause == null) {
                    cause = e;
                }
            }
        }
        return new TofuUnavailableException(b.toString(), cause);
    }

    /**
     * Whether a call failed because its channel closed before the request left this process: the
     * engine returned it unwritten from its outbound queue, or refused its post because the channel
     * was already gone; {@link Client} fails such calls with this text (see
     * {@code ClientConnection.engineMessage} and {@code ClientConnection.unsent}). No server ran it.
     */
    private static boolean returnedUnsent(TofuException e) {
        String text = e.getMessage();
        return text != null && text.contains(RETURNED_UNSENT);
    }

    /** The text of {@link Client}'s failure for a request the engine returned unwritten. */
    static final String RETURNED_UNSENT = dev.tofu.internal.rpc.Parts.UNSENT;

    /** Copies what a request carries (message id, text headers, body) into {@code dst}. */
    private static Message copy(Message src, Message dst) {
        try {
            dst.messageId(src.messageId());
            for (TextHeader h : src.headers()) {
                dst.headers().append(h.name(), h.value());
            }
            if (src.body().length() > 0) {
                dst.body().append(src.body().asReadOnlyBuffer());
            }
            return dst;
        } catch (RuntimeException e) {
            dst.close();
            throw e;
        }
    }

    // ---- one server ------------------------------------------------------------------------------

    /** What the channels' call listener tells the calling thread: whether its request was sent. */
    private static final class Attempt {
        boolean sent;
        Member member;
    }

    /**
     * One server of the set: its channels (slots the connector fills and callers read), its counters,
     * and its connector thread. Threads: callers read the slots and count; only the connector writes
     * the slots (and {@link #close()} empties them).
     */
    private final class Member {
        final Address address;
        final AtomicReferenceArray<Client> slots = new AtomicReferenceArray<>(options.channelsPerServer());
        final AtomicInteger turn = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final LongAdder calls = new LongAdder();
        final LongAdder succeeded = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder refused = new LongAdder();
        final java.util.concurrent.CountDownLatch firstAttempt = new java.util.concurrent.CountDownLatch(1);
        volatile boolean removed;
        volatile boolean connecting;
        volatile boolean down;          // the last connect attempt failed
        volatile TofuException lastError;
        volatile Thread connector;

        Member(Address address) {
            this.address = address;
        }

        /** The next open, non-draining channel in turn, or null (and the connector is woken if one was lost). */
        Client channel() {
            int k = slots.length();
            int start = k == 1 ? 0 : Math.floorMod(turn.getAndIncrement(), k);
            boolean lost = false;
            for (int i = 0; i < k; i++) {
                Client c = slots.get((start + i) % k);
                if (c != null) {
                    if (c.isOpen()) {
                        if (!c.isDraining()) {
                            return c;
                        }
                    } else {
                        lost = true;
                    }
                }
            }
            if (lost) {
                wake();
            }
            return null;
        }

        boolean ready() {
            if (removed) {
                return false;
            }
            for (int i = 0; i < slots.length(); i++) {
                Client c = slots.get(i);
                if (c != null && c.isOpen() && !c.isDraining()) {
                    return true;
                }
            }
            return false;
        }

        void wake() {
            Thread t = connector;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        ClusterStats.Member figures() {
            int open = 0;
            int usable = 0;
            for (int i = 0; i < slots.length(); i++) {
                Client c = slots.get(i);
                if (c != null && c.isOpen()) {
                    open++;
                    if (!c.isDraining()) {
                        usable++;
                    }
                }
            }
            ClusterStats.State state = removed ? ClusterStats.State.REMOVED
                    : usable > 0 ? ClusterStats.State.READY
                    : open > 0 ? ClusterStats.State.DRAINING
                    : firstAttempt.getCount() > 0 && !down ? ClusterStats.State.CONNECTING
                    : ClusterStats.State.DOWN;
            long s = succeeded.sum();
            long f = failed.sum();
            TofuException e = lastError;
            return new ClusterStats.Member(address, state, open, calls.sum(), s, f, refused.sum(),
                    Math.max(0, inFlight.get()), e == null ? null : e.getMessage());
        }

        /** Closes every channel (waiting calls fail with SHUTDOWN_STARTED). */
        void closeChannels() {
            for (int i = 0; i < slots.length(); i++) {
                Client c = slots.getAndSet(i, null);
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /** One connect attempt; the first ones in this JVM one at a time (see {@link #FIRST_CONNECT}). */
    private Client connect(Address address) {
        if (warm) {
            return Client.connect(reactor, address, clientOptions);
        }
        boolean locked;
        try {
            // bounded: a first attempt that hangs (a black-holed address) holds the others up only so long
            locked = FIRST_CONNECT.tryLock(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TofuInterruptedException("interrupted before connecting to " + address.value());
        }
        try {
            Client c = Client.connect(reactor, address, clientOptions);
            warm = true;
            return c;
        } finally {
            if (locked) {
                FIRST_CONNECT.unlock();
            }
        }
    }

    /** The connector of one server: keeps its channels open, with back-off; drains it when removed. */
    private void connector(Member m) {
        long min = clientOptions.reconnectBackoffMin().toNanos();
        long max = clientOptions.reconnectBackoffMax().toNanos();
        long backoff = min;
        try {
            while (!closed.get() && !m.removed) {
                boolean failed = false;
                for (int i = 0; i < m.slots.length() && !closed.get() && !m.removed; i++) {
                    Client c = m.slots.get(i);
                    if (c != null && c.isOpen()) {
                        continue;
                    }
                    if (c != null) {
                        m.lastError = c.closeReason();
                        m.down = true;
                        m.slots.compareAndSet(i, c, null);
                        c.close(); // its group and receiver go; calls on it already failed
                        LOG.debug("cluster: channel {} to {} lost: {}", i, m.address.value(), m.lastError.getMessage());
                    }
                    Client fresh;
                    m.connecting = true;
                    try {
                        fresh = connect(m.address);
                    } catch (TofuInterruptedException e) {
                        Thread.interrupted(); // close() ends a connect attempt this way
                        failed = true;
                        break;
                    } catch (TofuException e) {
                        m.lastError = e;
                        m.down = true;
                        failed = true;
                        LOG.debug("cluster: cannot connect to {}: {}", m.address.value(), e.getMessage());
                        break;
                    } finally {
                        m.connecting = false;
                    }
                    m.slots.set(i, fresh);
                    if (closed.get() || m.removed) { // close()/remove() may have missed it
                        m.slots.compareAndSet(i, fresh, null);
                        fresh.close();
                        break;
                    }
                    m.down = false;
                    backoff = min;
                }
                m.firstAttempt.countDown();
                if (failed) {
                    long until = System.nanoTime() + backoff;
                    backoff = Math.min(backoff * 2, max);
                    for (long left; (left = until - System.nanoTime()) > 0 && !closed.get() && !m.removed; ) {
                        LockSupport.parkNanos(left); // calls that wake us do not cut the back-off short
                    }
                } else {
                    LockSupport.parkNanos(HEALTH_POLL_NANOS); // or until a call saw a lost channel
                }
                Thread.interrupted();
            }
            if (m.removed && !closed.get()) {
                while (m.inFlight.get() > 0 && !closed.get()) { // its calls finish first
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                Thread.interrupted();
                m.closeChannels();
                setLock.lock();
                try {
                    all.remove(m);
                } finally {
                    setLock.unlock();
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("cluster: connector of {} failed", m.address.value(), e);
        } finally {
            m.firstAttempt.countDown();
        }
    }

}
