package dev.tofu.stress.sys;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * One client connection of a system under test, driven by exactly one driver thread (the thread
 * from {@link EchoSystem#driverThreads()}), except {@link #abort()}, which the harness's watchdog
 * may call from any thread.
 *
 * <p>The echo contract: every message sent comes back once, byte for byte, on the same connection,
 * unless the library returns it unsent with a status ({@link Reply#status} != 0). The harness
 * checks both; a system never checks payloads itself.
 */
public interface Connection {
    /**
     * Sends one message. Its first 8 payload bytes carry the harness's sequence number; the system
     * treats the payload as opaque.
     *
     * @param payload   the bytes, {@code [0, length)}
     * @param length    at most 65535
     * @param messageId the id to give the message where the library has ids (the chunks of a
     *                  {@code stream} message share one); systems without ids ignore it
     * @param more      the library's {@code more} flag where it has one (more chunks of this message follow)
     */
    void send(byte[] payload, int length, long messageId, boolean more) throws IOException;

    /**
     * Waits for the next message on this connection and fills {@code reply}.
     *
     * @param timeoutNanos how long to wait; systems whose blocking read has no timeout may wait
     *                     longer (the watchdog aborts them)
     * @return false on timeout
     * @throws IOException when the connection failed or was aborted
     */
    boolean receive(Reply reply, long timeoutNanos) throws IOException;

    /**
     * Closes gracefully, waiting (bounded) until the library says the connection is gone. Messages
     * that still arrive meanwhile go to {@code late} (the driver accounts for them).
     */
    void close(Consumer<Reply> late) throws IOException;

    /** Tears the connection down at once from any thread; a blocked receive fails. Idempotent. */
    void abort();
}
