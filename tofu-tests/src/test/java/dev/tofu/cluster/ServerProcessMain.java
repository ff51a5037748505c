package dev.tofu.cluster;

import dev.tofu.Address;
import dev.tofu.Reactor;
import dev.tofu.Server;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An echo server ({@link Echo#start}) in a JVM of its own, for tests that kill a server process:
 * prints {@code READY <client address>} once it listens, and stops when its standard input closes
 * (so it never outlives the test JVM).
 *
 * <p>Usage: {@code java -cp … dev.tofu.cluster.ServerProcessMain <host> <port> <id> <work µs>}
 */
public final class ServerProcessMain {
    private ServerProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        try (Reactor reactor = Reactor.create(Echo.options())) {
            Server server = Echo.start(reactor, Address.tcpServer(args[0], Integer.parseInt(args[1])), args[2],
                    Duration.ofNanos(Long.parseLong(args[3]) * 1000));
            System.out.println("READY " + server.addresses().get(0).value());
            System.out.flush();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) {
                    // wait for EOF
                }
            }
            server.stop(Duration.ofSeconds(2));
        }
        System.exit(0);
    }
}
