package dev.tofu.stress.sys;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * A system under test, as two halves: its echo server ({@link #newServer()}, an {@link EchoServer})
 * and the clients that load it (this interface's other methods). The harness puts the server half
 * in its own JVM or in a second one ({@link SystemUnderTest}) and hands the client half the server's
 * endpoint ({@link #attach}); adding a system to {@code compare} means writing one implementation
 * and registering it in {@link Systems}, and it runs in one or two processes alike.
 *
 * <p>Life cycle of the client half, from the harness's control thread: {@link #attach} (again when
 * the server's endpoint changes), then for each measurement {@link #prepare}, any number of
 * {@link #connect()} calls from driver threads, {@link #leaks} after every connection closed; at
 * the end {@link #close()}.
 */
public interface EchoSystem extends AutoCloseable {
    /** The system's short name, the same for both transports ("tofu", "raw-vt", "jeromq"). */
    String name();

    /** The transport. */
    Transport transport();

    /** "name/transport", the key in tables and files (and what the server JVM is told to start). */
    default String label() {
        return name() + "/" + transport().label();
    }

    /**
     * Why this system cannot run on this machine (a native transport missing), or null when it can;
     * runs that chose it by a name or "all" skip it with a note, one that named its label fails.
     */
    default String unavailable() {
        return null;
    }

    /** A new, not yet started server half of this system. */
    EchoServer newServer();

    /** Points the client half at a server's endpoint (from {@link EchoServer#start} or {@link EchoServer#prepare}). */
    void attach(String endpoint) throws Exception;

    /**
     * Client side, before each measurement, with its shape, so the system can size pools or pick a
     * socket pattern (JeroMQ uses REQ/REP for one in flight, DEALER/ROUTER otherwise).
     *
     * @param connections how many connections will be open at once
     * @param inFlight    messages in flight per connection
     * @param maxPayload  largest payload, bytes
     */
    default void prepare(int connections, int inFlight, int maxPayload) throws Exception {
    }

    /** Opens one client connection, blocking until it can carry messages; any thread. */
    Connection connect() throws IOException;

    /** The threads that run one connection's driver each (virtual or platform, as the system is meant to be used). */
    ThreadFactory driverThreads();

    /** Client-side leaks after every connection of a measurement closed; empty when clean. */
    default List<String> leaks(long waitMillis) {
        return List.of();
    }

    /** Frees the client half. */
    @Override
    void close();
}
