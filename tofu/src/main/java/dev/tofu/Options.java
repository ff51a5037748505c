package dev.tofu;

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
    public static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));

    /**
     * 16 initial pool messages, 64 max, a receive queue of 1024 frames per group, no direct writes,
     * owner-only Unix-domain socket files.
     */
    public static final Options DEFAULT = new Options(DEFAULT_INITIAL_POOL_MSGS, DEFAULT_MAX_POOL_MSGS,
            DEFAULT_RECEIVE_QUEUE_CAPACITY, false);

    private final int initialPoolMsgs;
    private final int maxPoolMsgs;
    private final int receiveQueueCapacity;
    private final boolean directWrite;
    private final java.util.Set<java.nio.file.attribute.PosixFilePermission> udsPermissions;

    private Options(int initialPoolMsgs, int maxPoolMsgs, int receiveQueueCapacity, boolean directWrite) {
        this(initialPoolMsgs, maxPoolMsgs, receiveQueueCapacity, directWrite, OWNER_ONLY);
    }

    private Options(int initialPoolMsgs, int maxPoolMsgs, int receiveQueueCapacity, boolean directWrite,
                    java.util.Set<java.nio.file.attribute.PosixFilePermission> udsPermissions) {
        this.initialPoolMsgs = initialPoolMsgs;
        this.maxPoolMsgs = maxPoolMsgs;
        this.receiveQueueCapacity = receiveQueueCapacity;
        this.directWrite = directWrite;
        this.udsPermissions = udsPermissions;
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
        return pool(initialPoolMsgs, maxPoolMsgs, DEFAULT_RECEIVE_QUEUE_CAPACITY, false);
    }

    /**
     * Returns the number of messages the pool starts with.
     *
     * @return the initial pool size
     */
    public int initialPoolMsgs() {
        return initialPoolMsgs;
    }

    /**
     * Returns the largest number of idle messages the pool keeps.
     *
     * @return the largest idle pool size
     */
    public int maxPoolMsgs() {
        return maxPoolMsgs;
    }

    /**
     * Returns how many received frames a group's queue holds before the channels' readers wait (and
     * TCP flow control pushes back on the senders). Engine notices are never refused for lack of room.
     *
     * @return the receive queue capacity, in frames
     */
    public int receiveQueueCapacity() {
        return receiveQueueCapacity;
    }

    /**
     * Returns a copy with another initial pool size (rules as in {@link #of(int, int)}).
     *
     * @param initialPoolMsgs messages the pool starts with; 0 = 16
     * @return the new options
     * @throws IllegalArgumentException as {@link #of(int, int)}
     */
    public Options withInitialPoolMsgs(int initialPoolMsgs) {
        return pool(initialPoolMsgs, maxPoolMsgs, receiveQueueCapacity, directWrite).withUdsPermissions(udsPermissions);
    }

    /**
     * Returns a copy with another largest idle pool size (rules as in {@link #of(int, int)}).
     *
     * @param maxPoolMsgs most idle messages the pool keeps; 0 = 64 (or the initial count, if larger)
     * @return the new options
     * @throws IllegalArgumentException as {@link #of(int, int)}
     */
    public Options withMaxPoolMsgs(int maxPoolMsgs) {
        return pool(initialPoolMsgs, maxPoolMsgs, receiveQueueCapacity, directWrite).withUdsPermissions(udsPermissions);
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
        return new Options(initialPoolMsgs, maxPoolMsgs, receiveQueueCapacity, directWrite, udsPermissions);
    }

    /**
     * Returns whether {@code post} may write a Request, Response or Signal on the posting thread
     * when the channel's outbound queue is idle (see {@link #withDirectWrite(boolean)}).
     *
     * @return whether direct writes are on (default off)
     */
    public boolean directWrite() {
        return directWrite;
    }

    /**
     * Returns a copy with direct writes on or off. With them on, a {@code post} that finds the
     * channel's outbound queue empty and its writer idle writes the frame on the posting thread
     * instead of handing it to the writer thread: one wake-up less each way, which matters for
     * latency-bound request/response at low concurrency. The cost: such a {@code post} blocks
     * while the socket's send buffer is full (only when the peer stops reading), so post order and
     * "nothing lost" still hold but "post never blocks on the network" does not. It also costs
     * throughput when many messages are in flight: each post then makes its own write instead of
     * joining the writer's batched gathering write (measured: about 0.2× the pipelined throughput
     * of the default). For one request at a time per channel only. Off by default.
     *
     * @param directWrite whether {@code post} may write on the posting thread
     * @return the new options
     */
    public Options withDirectWrite(boolean directWrite) {
        return new Options(initialPoolMsgs, maxPoolMsgs, receiveQueueCapacity, directWrite, udsPermissions);
    }

    /**
     * Returns the permissions a Unix-domain listener gives its socket file (connecting needs write
     * permission on it).
     *
     * @return the permissions; {@link #OWNER_ONLY} by default
     */
    public java.util.Set<java.nio.file.attribute.PosixFilePermission> udsPermissions() {
        return udsPermissions;
    }

    /**
     * Returns a copy whose Unix-domain listeners give their socket file these permissions, for
     * example adding {@code GROUP_READ} and {@code GROUP_WRITE} to let a group of local users connect.
     * The file is created with the process umask and restricted right after bind.
     *
     * @param permissions the socket file's permissions
     * @return the new options
     */
    public Options withUdsPermissions(java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions) {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> copy = permissions.isEmpty()
                ? java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class)
                : java.util.EnumSet.copyOf(permissions);
        return new Options(initialPoolMsgs, maxPoolMsgs, receiveQueueCapacity, directWrite,
                java.util.Collections.unmodifiableSet(copy));
    }

    private static Options pool(int initial, int max, int capacity, boolean directWrite) {
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
        return new Options(i, m, capacity, directWrite);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Options other && other.initialPoolMsgs == initialPoolMsgs
                && other.maxPoolMsgs == maxPoolMsgs && other.receiveQueueCapacity == receiveQueueCapacity
                && other.directWrite == directWrite && other.udsPermissions.equals(udsPermissions);
    }

    @Override
    public int hashCode() {
        return (((initialPoolMsgs * 31 + maxPoolMsgs) * 31 + receiveQueueCapacity) * 2 + (directWrite ? 1 : 0)) * 31
                + udsPermissions.hashCode();
    }

    @Override
    public String toString() {
        return "Options[initialPoolMsgs=" + initialPoolMsgs + ", maxPoolMsgs=" + maxPoolMsgs
                + ", receiveQueueCapacity=" + receiveQueueCapacity + ", directWrite=" + directWrite
                + ", udsPermissions=" + java.nio.file.attribute.PosixFilePermissions.toString(udsPermissions) + "]";
    }
}
