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
 * retries while nothing listens yet). TCP uses a free port below the ephemeral range, UDS a
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
     * A port below the kernel's ephemeral range that is free now (bound and closed again) and that
     * this JVM never handed out before. Below the ephemeral range, because other tests of this JVM
     * listen on port 0 at the same time: a port the OS had just given out could be given to one of
     * those listeners before the scenario that holds it starts its own, and the scenario's client
     * would then connect to a stranger's server. Never twice, because listeners use SO_REUSEPORT,
     * so two scenarios on one port would both listen and steal each other's clients.
     */
    public static int freeTcpPort() {
        int below = ephemeralLow();
        int span = Math.max(1, below - LOWEST_PORT);
        int start = java.util.concurrent.ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = LOWEST_PORT + (start + i) % span;
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException busy) {
                // in use by someone else: try the next one (it stays marked: it was not free)
            }
        }
        throw new IllegalStateException("no free TCP port in " + LOWEST_PORT + ".." + (below - 1));
    }

    private static final int LOWEST_PORT = 20000;

    /** The first port of the kernel's ephemeral range (Linux: ip_local_port_range), else 32768. */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > LOWEST_PORT + 1000 ? low : 32768;
        } catch (IOException | RuntimeException e) {
            return 32768;
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
