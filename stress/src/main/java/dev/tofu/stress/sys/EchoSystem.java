package dev.tofu.stress.sys;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * A system under test: an echo server plus the clients that load it, over one transport. The
 * harness runs every workload through this interface, so adding a system to {@code compare} means
 * writing one implementation and registering it in {@link Systems}.
 *
 * <p>Life cycle, all from the harness's control thread: {@link #start()} once (start the embedded
 * server or attach to a remote one), then for each measurement {@link #prepare}, any number of
 * {@link #connect()} calls from driver threads, {@link #leaks} after every connection closed; at the
 * end {@link #close()}.
 */
public interface EchoSystem extends AutoCloseable {
    /** The system's short name, the same for both transports ("tofu", "raw-vt", "jeromq"). */
    String name();

    /** The transport. */
    Transport transport();

    /** "name/transport", the key in tables and files. */
    default String label() {
        return name() + "/" + transport().label();
    }

    /** Starts the echo server (or attaches to a remote one). */
    void start() throws Exception;

    /**
     * Called before each measurement with its shape, so the system can size pools or pick a socket
     * pattern (JeroMQ uses REQ/REP for one in flight, DEALER/ROUTER otherwise).
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

    /**
     * After every connection of a measurement closed: what leaked (open channels, engine threads,
     * pooled messages, server connections), waiting up to {@code waitMillis} for things to settle.
     *
     * @return one line per leak; empty when clean
     */
    List<String> leaks(long waitMillis);

    /** Extra numbers for reports (pool sizes, server counts); may be empty. */
    default String stats() {
        return "";
    }

    /** Stops the server and frees everything. */
    @Override
    void close();
}
