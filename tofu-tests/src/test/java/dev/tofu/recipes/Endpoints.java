package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.testing.Wire.Transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A server address known before the server exists (the reconnect recipes need one: the client
 * retries while nothing listens yet). TCP uses a port the OS just gave out and took back, UDS a
 * fresh temp path (PROTOCOL.md §4, test helpers findFreeTcpPort / tempUdsPath). Everything else in
 * these tests listens on port 0 / an empty UDS path and reads {@code ~bound_to}.
 */
public record Endpoints(Address client, Address server, Path udsPath) {
    private static final AtomicLong COUNTER = new AtomicLong();

    /** A fresh client/server address pair on {@code transport}. */
    public static Endpoints fresh(Transport transport) {
        if (transport == Transport.TCP) {
            int port = freeTcpPort();
            return new Endpoints(Address.tcpClient("127.0.0.1", port), Address.tcpServer("127.0.0.1", port), null);
        }
        Path p = tempUdsPath();
        return new Endpoints(Address.udsClient(p), Address.udsServer(p), p);
    }

    /**
     * Binds 127.0.0.1:0, reads the port, closes; never hands out the same port twice in this JVM
     * (listeners use SO_REUSEPORT, so two concurrent scenarios on one port would both listen and
     * steal each other's clients).
     */
    public static int freeTcpPort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** {@code <tmp>/tofu_<pid>_r<n>.port}: new on every call, short enough for the UDS limit. */
    public static Path tempUdsPath() {
        String tmp = System.getenv().getOrDefault("TMPDIR", "/tmp");
        while (true) {
            Path p = Path.of(tmp, "tofu_" + ProcessHandle.current().pid() + "_r" + COUNTER.getAndIncrement() + ".port");
            if (!Files.exists(p)) {
                return p;
            }
        }
    }

    /** Removes the UDS file if a test left it behind (listeners remove theirs on close). */
    public void cleanUp() {
        if (udsPath != null) {
            try {
                Files.deleteIfExists(udsPath);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
