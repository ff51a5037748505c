package dev.tofu;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The settings of a {@link Reactor}; immutable. Start from {@link #DEFAULT} or {@link #of(int, int)}
 * and change one setting at a time with the {@code withX} methods.
 *
 * <p>Pool sizes follow tofu (PROTOCOL.md §6.1): 0 means the default (16 initial, 64 max), and a max
 * below the initial count given as 0 is raised to it. Explicit values must satisfy
 * {@code 0 <= initial <= max <= 65535}; {@code receiveQueueCapacity} must be at least 1.
 *
 * @see Reactor#create(Options)
 */
public final class Options {
    /** Default number of messages the pool starts with. */
    public static final int DEFAULT_INITIAL_POOL_MSGS = 16;
    /** Default largest number of idle messages the pool keeps. */
    public static final int DEFAULT_MAX_POOL_MSGS = 64;
    /** Default number of received frames a group queues before its readers wait. */
    public static final int DEFAULT_RECEIVE_QUEUE_CAPACITY = 1024;
    /** Largest pool setting (tofu's limit). */
    public static final int MAX_POOL_SETTING = 65535;

    /** Owner read and write: only the listening user can connect to a Unix-domain listener. */
    public static final Set<PosixFilePermission> OWNER_ONLY = Collections.unmodifiableSet(
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));

    /** Default spin of a channel reader before it parks for data (see {@link #withReadSpin(Duration)}). */
    public static final Duration DEFAULT_READ_SPIN = Duration.ofNanos(50_000);

    /** Default most messages one channel may have waiting to be written (see {@link #withMaxOutboundPerChannel(int)}). */
    public static final int DEFAULT_MAX_OUTBOUND_PER_CHANNEL = 16_384;

    /**
     * 16 initial pool messages, 64 max, a receive queue of 1024 frames per group, no direct writes,
     * owner-only Unix-domain socket files, at most 16,384 messages waiting to be written per channel,
     * no timeouts, no TCP keepalive, no channel limits, no TLS, virtual-thread channel jobs whose
     * readers spin up to 50 µs before they park ({@link #withReadSpin(Duration)}).
     */
    public static final Options DEFAULT = new Options(new Settings());

    private final Settings settings;

    private Options(Settings settings) {
        this.settings = settings;
    }

    /** Every setting; a fresh copy is changed before it is wrapped, never after. */
    private static final class Settings {
        int initialPoolMsgs = DEFAULT_INITIAL_POOL_MSGS;
        int maxPoolMsgs = DEFAULT_MAX_POOL_MSGS;
        int receiveQueueCapacity = DEFAULT_RECEIVE_QUEUE_CAPACITY;
        boolean directWrite;
        Set<PosixFilePermission> udsPermissions = OWNER_ONLY;
        int maxOutboundPerChannel = DEFAULT_MAX_OUTBOUND_PER_CHANNEL;
        Duration idleTimeout = Duration.ZERO;
        Duration handshakeTimeout = Duration.ZERO;
        Duration frameTimeout = Duration.ZERO;
        Duration keepAlive = Duration.ZERO;
        int maxChannels;
        int maxChannelsPerListener;
        SSLContext tls; // null: plain TCP
        ThreadFactory ioThreadFactory; // null: virtual threads
        Duration receiveSpin = Duration.ZERO;
        Duration readSpin = DEFAULT_READ_SPIN;

        Settings copy() {
            Settings c = new Settings();
            c.initialPoolMsgs = initialPoolMsgs;
            c.maxPoolMsgs = maxPoolMsgs;
            c.receiveQueueCapacity = receiveQueueCapacity;
            c.directWrite = directWrite;
            c.udsPermissions = udsPermissions;
            c.maxOutboundPerChannel = maxOutboundPerChannel;
            c.idleTimeout = idleTimeout;
            c.handshakeTimeout = handshakeTimeout;
            c.frameTimeout = frameTimeout;
            c.keepAlive = keepAlive;
            c.maxChannels = maxChannels;
            c.maxChannelsPerListener = maxChannelsPerListener;
            c.tls = tls;
            c.ioThreadFactory = ioThreadFactory;
            c.receiveSpin = receiveSpin;
            c.readSpin = readSpin;
            return c;
        }

        List<Object> values() {
            return List.of(initialPoolMsgs, maxPoolMsgs, receiveQueueCapacity, directWrite, udsPermissions,
                    maxOutboundPerChannel, idleTimeout, handshakeTimeout, frameTimeout, keepAlive, maxChannels,
                    maxChannelsPerListener, Optional.ofNullable(tls),
                    ioThreadFactory == null ? "virtual" : ioThreadFactory, receiveSpin, readSpin);
        }
    }

    private Options with(Consumer<Settings> change) {
        Settings copy = settings.copy();
        change.accept(copy);
        return new Options(copy);
    }

    /**
     * Returns options with the given pool sizes and the default receive queue capacity.
     *
     * @param initialPoolMsgs messages the pool starts with; 0 = 16
     * @param maxPoolMsgs     most idle messages the pool keeps; 0 = 64 (or the initial count, if larger)
     * @return the options
     * @throws IllegalArgumentException for a negative value, a value over 65535, or initial > max
     */
    public static Options of(int initialPoolMsgs, int maxPoolMsgs) {
        return DEFAULT.pool(initialPoolMsgs, maxPoolMsgs);
    }

    /**
     * Returns the number of messages the pool starts with.
     *
     * @return the initial pool size
     */
    public int initialPoolMsgs() {
        return settings.initialPoolMsgs;
    }

    /**
     * Returns the largest number of idle messages the pool keeps.
     *
     * @return the largest idle pool size
     */
    public int maxPoolMsgs() {
        return settings.maxPoolMsgs;
    }

    /**
     * Returns how many received frames a group's queue holds before the channels' readers wait (and
     * TCP flow control pushes back on the senders). Engine notices are never refused for lack of room.
     *
     * @return the receive queue capacity, in frames
     */
    public int receiveQueueCapacity() {
        return settings.receiveQueueCapacity;
    }

    /**
     * Returns a copy with another initial pool size (rules as in {@link #of(int, int)}).
     *
     * @param initialPoolMsgs messages the pool starts with; 0 = 16
     * @return the new options
     * @throws IllegalArgumentException as {@link #of(int, int)}
     */
    public Options withInitialPoolMsgs(int initialPoolMsgs) {
        return pool(initialPoolMsgs, settings.maxPoolMsgs);
    }

    /**
     * Returns a copy with another largest idle pool size (rules as in {@link #of(int, int)}).
     *
     * @param maxPoolMsgs most idle messages the pool keeps; 0 = 64 (or the initial count, if larger)
     * @return the new options
     * @throws IllegalArgumentException as {@link #of(int, int)}
     */
    public Options withMaxPoolMsgs(int maxPoolMsgs) {
        return pool(settings.initialPoolMsgs, maxPoolMsgs);
    }

    /**
     * Returns a copy with another receive queue capacity.
     *
     * @param receiveQueueCapacity at least 1
     * @return the new options
     * @throws IllegalArgumentException if below 1
     */
    public Options withReceiveQueueCapacity(int receiveQueueCapacity) {
        if (receiveQueueCapacity < 1) {
            throw new IllegalArgumentException("receiveQueueCapacity must be >= 1, got " + receiveQueueCapacity);
        }
        return with(c -> c.receiveQueueCapacity = receiveQueueCapacity);
    }

    /**
     * Returns whether {@code post} may write a Request, Response or Signal on the posting thread
     * when the channel's outbound queue is idle (see {@link #withDirectWrite(boolean)}).
     *
     * @return whether direct writes are on (default off)
     */
    public boolean directWrite() {
        return settings.directWrite;
    }

    /**
     * Returns a copy with direct writes on or off. With them on, a {@code post} that finds the
     * channel's outbound queue empty and its writer idle writes the frame on the posting thread
     * instead of handing it to the writer thread: one wake-up less each way, which matters for
     * latency-bound request/response at low concurrency. The cost: such a {@code post} blocks
     * while the socket's send buffer is full (only when the peer stops reading), so post order and
     * "nothing lost" still hold but "post never blocks on the network" does not. The choice is
     * adaptive, so pipelined traffic keeps the writer's batched gathering writes: only a post
     * that comes at least 10 µs after the previous post on its channel, while nothing waits in its
     * group's receive queue, writes directly (a poster in a burst, or a server loop with more
     * requests to answer, hands to the writer); writing every post directly would cost one system
     * call per message (figures in docs/PERFORMANCE.md, "Direct writes"). Meant for
     * request/response at low concurrency. Off by default. A thread whose interrupt
     * flag is set never writes directly (an interrupted thread's socket IO makes the JDK close the
     * socket): its post goes to the writer thread and it keeps its flag. An interrupt that arrives
     * while a direct write is under way still closes the channel with {@link Status#SEND_FAILED};
     * do not interrupt threads that post on a direct-write channel.
     *
     * @param directWrite whether {@code post} may write on the posting thread
     * @return the new options
     */
    public Options withDirectWrite(boolean directWrite) {
        return with(c -> c.directWrite = directWrite);
    }

    /**
     * Returns the permissions a Unix-domain listener gives its socket file (connecting needs write
     * permission on it).
     *
     * @return the permissions; {@link #OWNER_ONLY} by default
     */
    public Set<PosixFilePermission> udsPermissions() {
        return settings.udsPermissions;
    }

    /**
     * Returns a copy whose Unix-domain listeners give their socket file these permissions, for
     * example adding {@code GROUP_READ} and {@code GROUP_WRITE} to let a group of local users connect.
     * The file is created with the process umask and restricted right after bind.
     *
     * @param permissions the socket file's permissions
     * @return the new options
     */
    public Options withUdsPermissions(Set<PosixFilePermission> permissions) {
        Set<PosixFilePermission> copy = permissions.isEmpty()
                ? EnumSet.noneOf(PosixFilePermission.class)
                : EnumSet.copyOf(permissions);
        return with(c -> c.udsPermissions = Collections.unmodifiableSet(copy));
    }

    /**
     * Returns the most messages one channel may have waiting to be written.
     *
     * @return the outbound limit per channel (default {@value #DEFAULT_MAX_OUTBOUND_PER_CHANNEL})
     */
    public int maxOutboundPerChannel() {
        return settings.maxOutboundPerChannel;
    }

    /**
     * Returns a copy with another outbound limit per channel. A {@code post} that finds this many
     * messages already waiting to be written on its channel (the peer reads slower than the
     * application posts, or not at all) fails with {@link Status#SEND_FAILED} and the message stays
     * with the caller, who may retry later or close the channel: memory stays bounded whatever the
     * peer does (this many messages queued, plus the batch of at most 32 the writer is sending).
     * The default, 16,384, lets bursts through; with large bodies (up to 64 KiB each, so up to
     * 1 GiB per channel at the default) set it lower. ByeRequest, ByeResponse and ByeSignal are never refused, so a channel can always be
     * closed.
     *
     * @param maxOutboundPerChannel at least 1
     * @return the new options
     * @throws IllegalArgumentException if below 1
     */
    public Options withMaxOutboundPerChannel(int maxOutboundPerChannel) {
        if (maxOutboundPerChannel < 1) {
            throw new IllegalArgumentException("maxOutboundPerChannel must be >= 1, got " + maxOutboundPerChannel);
        }
        return with(c -> c.maxOutboundPerChannel = maxOutboundPerChannel);
    }

    /**
     * Returns how long a connected channel may receive nothing before the engine closes it.
     *
     * @return the idle timeout; {@link Duration#ZERO} (the default) means none
     */
    public Duration idleTimeout() {
        return settings.idleTimeout;
    }

    /**
     * Returns a copy with an idle timeout: a connected channel (client or accepted) that receives no
     * complete frame for this long is closed with {@link Status#COMMUNICATION_FAILED} (the reason on
     * every returned message, in {@link ReactorStats#closeReasons()} and in the
     * {@code dev.tofu.ChannelClosed} event), followed by its close Signal. Pair it with traffic the
     * peer sends at least that often (for example heartbeat Signals) to detect a dead peer or a cut
     * link while data is in flight; see also {@link #withKeepAlive(Duration)}. Checked
     * about every quarter of the timeout, so a close comes between the timeout and 1.25 times it.
     * Off by default (tofu has no timeouts).
     *
     * @param idleTimeout the timeout; {@link Duration#ZERO} turns it off
     * @return the new options
     * @throws IllegalArgumentException if negative
     */
    public Options withIdleTimeout(Duration idleTimeout) {
        Duration t = timeout("idleTimeout", idleTimeout);
        return with(c -> c.idleTimeout = t);
    }

    /**
     * Returns how long an accepted connection may take to deliver its first complete frame.
     *
     * @return the handshake timeout; {@link Duration#ZERO} (the default) means none
     */
    public Duration handshakeTimeout() {
        return settings.handshakeTimeout;
    }

    /**
     * Returns a copy with a handshake timeout: an accepted connection whose first complete frame
     * (its HelloRequest) has not arrived this long after the accept is closed with
     * {@link Status#COMMUNICATION_FAILED}, so connections that never speak cannot hold a channel
     * number and a socket for ever. Off by default.
     *
     * @param handshakeTimeout the timeout; {@link Duration#ZERO} turns it off
     * @return the new options
     * @throws IllegalArgumentException if negative
     */
    public Options withHandshakeTimeout(Duration handshakeTimeout) {
        Duration t = timeout("handshakeTimeout", handshakeTimeout);
        return with(c -> c.handshakeTimeout = t);
    }

    /**
     * Returns how long a frame may take to arrive once its first byte has.
     *
     * @return the frame timeout; {@link Duration#ZERO} (the default) means none
     */
    public Duration frameTimeout() {
        return settings.frameTimeout;
    }

    /**
     * Returns a copy with a frame timeout: once the first byte of a frame has arrived, the rest of
     * it (header, text headers, body) must arrive within this time, or the channel is closed with
     * {@link Status#COMMUNICATION_FAILED} (a peer that sends half a frame and stalls). An idle
     * channel between frames is not affected. Off by default.
     *
     * @param frameTimeout the timeout; {@link Duration#ZERO} turns it off
     * @return the new options
     * @throws IllegalArgumentException if negative
     */
    public Options withFrameTimeout(Duration frameTimeout) {
        Duration t = timeout("frameTimeout", frameTimeout);
        return with(c -> c.frameTimeout = t);
    }

    /**
     * Returns the idle time after which TCP keepalive probes start.
     *
     * @return the keepalive idle time; {@link Duration#ZERO} (the default) means off
     */
    public Duration keepAlive() {
        return settings.keepAlive;
    }

    /**
     * Returns a copy with TCP keepalive on TCP channels (client and accepted): after this much
     * silence the kernel sends probes (every third of it, at least a second apart, three times) and
     * a peer that answers none is declared dead: the channel closes as for a lost peer
     * ({@link Status#PEER_DISCONNECTED} or {@link Status#RECV_FAILED}). This is the transport's
     * heartbeat: it finds dead peers and cut links on quiet channels without any frame the tofu
     * peer would see. Probes do not run while data waits for acknowledgement; use
     * {@link #withIdleTimeout(Duration)} for that case. Whole seconds, at least one. Off
     * by default; Unix-domain channels ignore it.
     *
     * @param keepAlive the idle time before the first probe; {@link Duration#ZERO} turns it off
     * @return the new options
     * @throws IllegalArgumentException if negative
     */
    public Options withKeepAlive(Duration keepAlive) {
        Duration t = timeout("keepAlive", keepAlive);
        return with(c -> c.keepAlive = t);
    }

    /**
     * Returns the most connected channels (clients and accepted) the reactor holds at once.
     *
     * @return the limit; 0 (the default) means no limit beyond the channel number space
     */
    public int maxChannels() {
        return settings.maxChannels;
    }

    /**
     * Returns a copy with a limit on connected channels (client and accepted channels together;
     * listeners do not count). At the limit, a HelloRequest post fails with
     * {@link Status#ALLOCATION_FAILED} (the message stays with the caller) and a listener closes each
     * new connection at once, without a channel or a message to the application; the peer sees its
     * connection closed. Listeners keep accepting, and take connections again once channels close.
     *
     * @param maxChannels the limit; 0 means none
     * @return the new options
     * @throws IllegalArgumentException if negative
     */
    public Options withMaxChannels(int maxChannels) {
        int v = limit("maxChannels", maxChannels);
        return with(c -> c.maxChannels = v);
    }

    /**
     * Returns the most accepted channels one listener holds at once.
     *
     * @return the limit; 0 (the default) means none
     */
    public int maxChannelsPerListener() {
        return settings.maxChannelsPerListener;
    }

    /**
     * Returns a copy with a limit on the channels each listener holds at once: beyond it, a new
     * connection is closed at once (as for {@link #withMaxChannels(int)}) and the listener keeps
     * accepting.
     *
     * @param maxChannelsPerListener the limit; 0 means none
     * @return the new options
     * @throws IllegalArgumentException if negative
     */
    public Options withMaxChannelsPerListener(int maxChannelsPerListener) {
        int v = limit("maxChannelsPerListener", maxChannelsPerListener);
        return with(c -> c.maxChannelsPerListener = v);
    }

    /**
     * Returns the TLS context every TCP channel of the reactor uses, if TLS is on.
     *
     * @return the context given to {@link #withTls(SSLContext)}, or empty (the
     *         default: plain TCP)
     */
    public Optional<SSLContext> tls() {
        return Optional.ofNullable(settings.tls);
    }

    /**
     * Returns a copy with TLS on: every TCP channel of the reactor, client and accepted alike,
     * speaks TLS with an {@link javax.net.ssl.SSLEngine} made from {@code context}; Unix-domain
     * channels stay plain. Both ends must have it on: a plain peer fails the handshake.
     *
     * <p>The context supplies the certificates: its key manager the certificate this end presents
     * (a server needs one), its trust manager the certificates it accepts. A client verifies the
     * server's certificate chain and its name: the host of the {@code ~connect_to} address, name
     * or IP literal as written, must be in the certificate's subject alternative names (endpoint
     * identification "HTTPS"). Client certificates are checked if the context's default
     * parameters ask for them.
     *
     * <p>The handshake runs on the channel's own virtual thread (a client's right after the TCP
     * connect, an accepted channel's before its first frame) and must finish within
     * {@link #handshakeTimeout()}, or 10 seconds when that is off. A client whose handshake fails
     * (certificate not trusted, name mismatch, a plain or silent server) gets its HelloRequest
     * back as a HelloResponse with {@link Status#CONNECT_FAILED}, as for a refused connect; an
     * accepted connection whose handshake fails is closed with {@link Status#ACCEPT_FAILED} (the
     * reason in {@link ReactorStats#closeReasons()}; the application sees only the close Signal of
     * a channel it never heard from, as for a peer that connects and leaves), and the listener
     * keeps serving. With {@link #handshakeTimeout()} set, an accepted connection that has not
     * completed its handshake and sent its first frame in time closes with
     * {@link Status#COMMUNICATION_FAILED}, as without TLS. Each side logs why at DEBUG.
     * The session ends with tofu's ByeRequest/ByeResponse; no TLS close_notify is sent.
     *
     * @param context the TLS context; not {@code null}
     * @return the new options
     * @throws IllegalArgumentException if {@code context} is {@code null}
     */
    public Options withTls(SSLContext context) {
        if (context == null) {
            throw new IllegalArgumentException("a TLS context is required; use withoutTls() to turn TLS off");
        }
        return with(c -> c.tls = context);
    }

    /**
     * Returns a copy with TLS off (the default): TCP channels are plain.
     *
     * @return the new options
     */
    public Options withoutTls() {
        return with(c -> c.tls = null);
    }

    /**
     * Returns the factory of the threads that run the channels' jobs (accept, connect, read,
     * write), or {@code null} for the default: one virtual thread per job.
     *
     * @return the job thread factory, or {@code null} for virtual threads
     */
    public ThreadFactory ioThreadFactory() {
        return settings.ioThreadFactory;
    }

    /**
     * Returns a copy whose channel jobs (accept, connect, read, write) run on threads made by
     * {@code factory} instead of virtual threads; {@code null} restores the default. The engine
     * names each thread it gets ({@code tofu-ch-<channel>-<job>}) and starts it; the factory must
     * return a new, unstarted thread.
     *
     * <p>For latency-bound users with few channels: a platform thread blocked on a socket read is
     * woken by the kernel directly, while a virtual thread waits for the JDK's poller and then for
     * a carrier. On its own this rarely shortens a round trip (the hand-offs between the engine's
     * threads remain, and platform wake-ups suffer more on a loaded machine); together with
     * {@link #withDirectWrite}, {@link #withReceiveSpin} and platform application threads calling
     * {@code waitReceive} it shortens a loopback round trip (docs/PERFORMANCE.md, "Direct writes,
     * platform threads"). The price is one platform thread (and its stack) per job, two per
     * connected channel, so keep this for a handful of channels: with many channels the default
     * scales better. Example:
     * {@code Options.DEFAULT.withIoThreadFactory(Thread.ofPlatform().daemon().factory())}.
     *
     * @param factory makes the channels' job threads; {@code null} for virtual threads
     * @return the new options
     */
    public Options withIoThreadFactory(ThreadFactory factory) {
        return with(c -> c.ioThreadFactory = factory);
    }

    /** Longest spin {@link #withReadSpin(Duration)} accepts. */
    public static final Duration MAX_READ_SPIN = Duration.ofMillis(1);

    /**
     * Returns how long a channel's reader spins, checking its socket, before it parks to wait for
     * the next frame (see {@link #withReadSpin(Duration)}).
     *
     * @return the spin; {@link #DEFAULT_READ_SPIN} by default, {@link Duration#ZERO} when off
     */
    public Duration readSpin() {
        return settings.readSpin;
    }

    /**
     * Returns a copy in which a channel's reader that has nothing left to read spins for up to
     * {@code spin}, yielding its carrier between checks of the socket's readable byte count, before
     * it parks in a blocking read. A reply that arrives within that time is read without a trip
     * through the JDK's poller, which is where a virtual-thread round trip spends most of its time
     * (docs/PERFORMANCE.md, "The read spin", has the figures).
     *
     * <p>The spin is bounded so that busy and idle loads pay almost nothing: on a quiet channel
     * (the wait after a spin that found nothing lasted over a millisecond longer than the spin) the
     * reader parks without spinning for the next 1, 3, 7 … up to 64 waits; on a busy channel a
     * spin that finds nothing is paid from a budget of 256 such spins that every successful spin
     * refills, so occasional misses never stop the spinning but a channel where it does not pay
     * stops soon, and spins again only in a shared window (about 1 ms in every 17 ms of
     * {@link System#nanoTime()}, where both ends of a channel between two processes of one machine
     * spin together). At most as many readers spin at once as the JVM has processors (at least
     * 2), and nobody spins while more readers than that have been busy within the last millisecond
     * or two, because then the carriers have work anyway and a spin would only take CPU from it
     * (with that rule, busy loads run as fast as without spinning).
     * Only virtual-thread readers of plain TCP or Unix-domain channels spin (not TLS channels, not
     * readers made by {@link #withIoThreadFactory}). Each check costs a system call, so a spin that
     * finds nothing burns up to {@code spin} of CPU. Zero turns it off.
     *
     * @param spin how long to spin, from zero up to {@link #MAX_READ_SPIN}
     * @return the new options
     * @throws IllegalArgumentException if {@code spin} is negative or above {@link #MAX_READ_SPIN}
     * @throws NullPointerException     if {@code spin} is null
     */
    public Options withReadSpin(Duration spin) {
        spin("readSpin", spin, MAX_READ_SPIN);
        return with(c -> c.readSpin = spin);
    }

    /** Longest spin {@link #withReceiveSpin(Duration)} accepts. */
    public static final Duration MAX_RECEIVE_SPIN = Duration.ofMillis(1);

    /**
     * Returns how long a platform thread in {@code waitReceive} spins, polling its group's queue,
     * before it parks (see {@link #withReceiveSpin(Duration)}).
     *
     * @return the spin; {@link Duration#ZERO} (no spin) by default
     */
    public Duration receiveSpin() {
        return settings.receiveSpin;
    }

    /**
     * Returns a copy in which a <em>platform</em> thread calling a blocking {@code waitReceive}
     * (any timeout above zero) spins, polling and yielding its core, for up to {@code spin} before
     * it parks, so a reply that arrives within that time is taken without a wake-up. Virtual threads
     * never spin, whatever this says: a spinning virtual thread holds one of the few carrier
     * threads that the channels' own jobs need, so the round trips it waits for get slower. For
     * latency-bound users that call {@code waitReceive} from a platform thread, usually together
     * with {@link #withIoThreadFactory} and {@link #withDirectWrite}; it burns up to {@code spin}
     * of CPU per wait that gets nothing in time. Zero (the default) turns it off.
     *
     * @param spin how long to spin, from zero up to {@link #MAX_RECEIVE_SPIN}
     * @return the new options
     * @throws IllegalArgumentException if {@code spin} is negative or above {@link #MAX_RECEIVE_SPIN}
     */
    public Options withReceiveSpin(Duration spin) {
        spin("receiveSpin", spin, MAX_RECEIVE_SPIN);
        return with(c -> c.receiveSpin = spin);
    }

    private Options pool(int initial, int max) {
        if (initial < 0 || max < 0) {
            throw new IllegalArgumentException("pool sizes must not be negative, got " + initial + "/" + max);
        }
        if (initial > MAX_POOL_SETTING || max > MAX_POOL_SETTING) {
            throw new IllegalArgumentException("pool sizes must be at most 65535, got " + initial + "/" + max);
        }
        if (initial != 0 && max != 0 && initial > max) {
            throw new IllegalArgumentException("initialPoolMsgs " + initial + " > maxPoolMsgs " + max);
        }
        int i = initial == 0 ? DEFAULT_INITIAL_POOL_MSGS : initial;
        int m = max == 0 ? Math.max(DEFAULT_MAX_POOL_MSGS, i) : max;
        if (m < i) {
            m = i; // only reachable when initial was 0 and max explicit but below the default initial
        }
        int chosenMax = m;
        return with(c -> {
            c.initialPoolMsgs = i;
            c.maxPoolMsgs = chosenMax;
        });
    }

    private static Duration timeout(String name, Duration t) {
        Objects.requireNonNull(t, name);
        if (t.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + t);
        }
        return t;
    }

    private static void spin(String name, Duration spin, Duration max) {
        timeout(name, spin);
        if (spin.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " must be at most " + max + ", got " + spin);
        }
    }

    private static int limit(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Options other && other.settings.values().equals(settings.values());
    }

    @Override
    public int hashCode() {
        return settings.values().hashCode();
    }

    @Override
    public String toString() {
        Settings s = settings;
        return "Options[initialPoolMsgs=" + s.initialPoolMsgs + ", maxPoolMsgs=" + s.maxPoolMsgs
                + ", receiveQueueCapacity=" + s.receiveQueueCapacity + ", directWrite=" + s.directWrite
                + ", udsPermissions=" + PosixFilePermissions.toString(s.udsPermissions)
                + ", maxOutboundPerChannel=" + s.maxOutboundPerChannel + ", idleTimeout=" + s.idleTimeout
                + ", handshakeTimeout=" + s.handshakeTimeout + ", frameTimeout=" + s.frameTimeout
                + ", keepAlive=" + s.keepAlive + ", maxChannels=" + s.maxChannels
                + ", maxChannelsPerListener=" + s.maxChannelsPerListener
                + ", tls=" + (s.tls == null ? "off" : "on(" + s.tls.getProtocol() + ")")
                + ", ioThreadFactory=" + (s.ioThreadFactory == null ? "virtual" : s.ioThreadFactory)
                + ", receiveSpin=" + s.receiveSpin + ", readSpin=" + s.readSpin + "]";
    }
}
