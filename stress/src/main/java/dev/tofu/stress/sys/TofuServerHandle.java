package dev.tofu.stress.sys;

import dev.tofu.Address;

import java.util.List;

/**
 * The tofu echo server a {@link TofuSystem}'s server half stands for: embedded in the JVM that runs
 * the half ({@link EmbeddedTofuServer}; in the server JVM of a two-process run, that JVM) or run by
 * someone else entirely ({@link #remote}, {@code --connect}).
 */
public interface TofuServerHandle extends AutoCloseable {
    /** Starts the server if needed; idempotent. */
    void start() throws Exception;

    /** The client address for {@code transport}, or null if the server has no such listener. */
    Address address(Transport transport);

    /** Whether the server's engine threads live in this JVM (they count in {@code Engine.liveThreads()}). */
    boolean inProcess();

    /** Server-side leaks once every client closed (open channels besides listeners, pooled messages out). */
    List<String> leaks(long waitMillis);

    /** Server counters for reports. */
    default String stats() {
        return "";
    }

    /** Releases this user of the server (the last one stops it). */
    @Override
    void close();

    /** A server run by someone else at fixed addresses: nothing to start, check or stop. */
    static TofuServerHandle remote(Address tcp, Address uds) {
        return new TofuServerHandle() {
            @Override
            public void start() {
            }

            @Override
            public Address address(Transport transport) {
                return transport == Transport.TCP ? tcp : uds;
            }

            @Override
            public boolean inProcess() {
                return false;
            }

            @Override
            public List<String> leaks(long waitMillis) {
                return List.of();
            }

            @Override
            public void close() {
            }
        };
    }
}
