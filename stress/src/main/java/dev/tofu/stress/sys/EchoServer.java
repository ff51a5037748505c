package dev.tofu.stress.sys;

import java.util.List;

/**
 * The server half of a system under test: an echo server that clients reach through an
 * <em>endpoint</em>, an opaque string only the same system's client half ({@link EchoSystem#attach})
 * understands. Because the endpoint is a string, the harness can run this half in its own JVM or in
 * a second JVM ({@link ServerJvm}) with the same code and no per-system support.
 *
 * <p>Life cycle, from one control thread: {@link #start()} once, {@link #prepare} before each
 * measurement, {@link #leaks} after each, {@link #close()} at the end.
 */
public interface EchoServer {
    /** Starts the server; returns the endpoint clients connect to. */
    String start() throws Exception;

    /**
     * Called before each measurement with its shape (JeroMQ opens fresh server sockets here).
     *
     * @return a new endpoint when clients must connect elsewhere from now on, else null
     */
    default String prepare(int connections, int inFlight, int maxPayload) throws Exception {
        return null;
    }

    /** Server-side leaks once every client of a measurement closed, waiting up to {@code waitMillis}. */
    List<String> leaks(long waitMillis);

    /** Counters for reports; may be empty. */
    default String stats() {
        return "";
    }

    /** Stops the server and frees everything. */
    void close();
}
