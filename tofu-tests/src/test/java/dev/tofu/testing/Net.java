package dev.tofu.testing;

import dev.tofu.Address;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Network helpers for tests (PROTOCOL.md §4 "Test helpers"; not part of the library's API).
 * Thread-safe.
 *
 * <p>Prefer listening on port 0 and reading {@code ~bound_to} (§9 item 25): a port returned by
 * {@link #findFreeTcpPort()} may be taken by someone else before it is used.
 */
public final class Net {
    /** Process-wide counter for {@link #tempUdsPath()}: starts at 0, one per call. */
    private static final AtomicInteger UDS_COUNTER = new AtomicInteger();
    private static final long PID = ProcessHandle.current().pid();

    private Net() {
    }

    /**
     * Binds {@code 0.0.0.0:0}, reads the port the system chose, closes the socket and returns the
     * port (always &gt; 0).
     */
    public static int findFreeTcpPort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("0.0.0.0", 0));
            int port = s.getLocalPort();
            if (port <= 0) {
                throw new IllegalStateException("the system chose port " + port);
            }
            return port;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind 0.0.0.0:0", e);
        }
    }

    /**
     * Returns {@code <java.io.tmpdir>/tofu_<pid>_<n>.port} (falling back to {@code /tmp} when the
     * temporary directory makes the path too long), {@code n} = a process-wide counter from 0. Every
     * call returns a new path that fits {@link Address#UDS_PATH_MAX_BYTES} and does not exist yet
     * (numbers whose file exists are skipped).
     */
    public static Path tempUdsPath() {
        String tmp = System.getProperty("java.io.tmpdir", "/tmp");
        for (int attempt = 0; attempt < 10_000; attempt++) {
            String name = "tofu_" + PID + "_" + UDS_COUNTER.getAndIncrement() + ".port";
            Path p = Path.of(tmp, name);
            if (bytes(p) > Address.UDS_PATH_MAX_BYTES) {
                p = Path.of("/tmp", name);
                if (bytes(p) > Address.UDS_PATH_MAX_BYTES) {
                    throw new IllegalStateException("no UDS path fits " + Address.UDS_PATH_MAX_BYTES + " bytes: " + p);
                }
            }
            if (!Files.exists(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no free UDS path in " + tmp);
    }

    private static int bytes(Path p) {
        return p.toString().getBytes(StandardCharsets.UTF_8).length;
    }
}
