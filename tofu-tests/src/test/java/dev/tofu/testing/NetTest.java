package dev.tofu.testing;

import dev.tofu.Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test helpers of PROTOCOL.md §4 ("Test helpers") and the §8 checklist item about them. */
@Timeout(10)
class NetTest {

    @Test
    void findFreeTcpPortReturnsAPositiveBindablePort() throws IOException {
        int port = Net.findFreeTcpPort();
        assertTrue(port > 0 && port <= 65535, "§4/§8: findFreeTcpPort() > 0 (got " + port + ")");
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("0.0.0.0", port));
            assertEquals(port, s.getLocalPort(), "§8: the port is bindable");
        }
    }

    @Test
    void tempUdsPathIsNonEmptyFitsTheLimitAndDoesNotExist() {
        Path p = Net.tempUdsPath();
        String s = p.toString();
        assertFalse(s.isEmpty(), "§8: tempUdsPath non-empty");
        assertTrue(s.getBytes(StandardCharsets.UTF_8).length <= Address.UDS_PATH_MAX_BYTES,
                "§4/§8: fits the UDS limit of 107 bytes: " + s);
        assertFalse(Files.exists(p), "§4: does not exist yet");
        String expectedPrefix = "tofu_" + ProcessHandle.current().pid() + "_";
        String name = p.getFileName().toString();
        assertTrue(name.startsWith(expectedPrefix) && name.endsWith(".port")
                        && name.substring(expectedPrefix.length(), name.length() - 5).chars().allMatch(Character::isDigit),
                "§4: named tofu_<pid>_<n>.port: " + name);
    }

    @Test
    void tempUdsPathsAreUniqueAndCounted() {
        Set<Path> seen = new HashSet<>();
        long previous = -1;
        for (int i = 0; i < 200; i++) {
            Path p = Net.tempUdsPath();
            assertTrue(seen.add(p), "§4: every call returns a new path: " + p);
            String name = p.getFileName().toString();
            long n = Long.parseLong(name.substring(name.lastIndexOf('_') + 1, name.length() - ".port".length()));
            assertTrue(n > previous, "§4: n is a process-wide counter that only grows");
            previous = n;
        }
    }

    @Test
    void tempUdsPathSkipsANumberWhoseFileAlreadyExists() throws IOException {
        Path first = Net.tempUdsPath();
        String name = first.getFileName().toString();
        long n = Long.parseLong(name.substring(name.lastIndexOf('_') + 1, name.length() - ".port".length()));
        Path squatted = first.resolveSibling("tofu_" + ProcessHandle.current().pid() + "_" + (n + 1) + ".port");
        Files.createFile(squatted);
        try {
            Path next = Net.tempUdsPath();
            assertFalse(Files.exists(next), "§4: the returned path does not exist yet");
            assertFalse(next.equals(squatted), "§4: an existing file's number is skipped");
        } finally {
            Files.deleteIfExists(squatted);
        }
    }

    @Test
    void tempUdsPathCanBeBoundByAUnixDomainSocket() throws IOException {
        Path p = Net.tempUdsPath();
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(p));
            assertTrue(Files.exists(p), "binding creates the socket file at the path");
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
