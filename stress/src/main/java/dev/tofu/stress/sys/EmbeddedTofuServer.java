package dev.tofu.stress.sys;

import dev.tofu.Address;
import dev.tofu.internal.engine.Engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tofu echo server in this JVM, with a TCP listener on 127.0.0.1 (port chosen by the system)
 * and a UDS listener (path chosen by the engine), shared by the {@code tofu/tcp} and
 * {@code tofu/uds} systems: the first {@link #start()} starts it, the last {@link #close()} stops it.
 */
public final class EmbeddedTofuServer implements TofuServerHandle {
    private final dev.tofu.Options options;
    private final java.util.concurrent.ThreadFactory loops;
    private TofuEchoServer server; // guarded by this
    private int users;             // guarded by this

    /** A server with {@link TofuEchoServer#defaultOptions()}. */
    public EmbeddedTofuServer() {
        this(TofuEchoServer.defaultOptions());
    }

    /** A server with the given reactor options (for example with direct writes). */
    public EmbeddedTofuServer(dev.tofu.Options options) {
        this(options, Thread.ofVirtual().factory());
    }

    /** A server with the given reactor options whose echo loops run on threads of {@code loops}. */
    public EmbeddedTofuServer(dev.tofu.Options options, java.util.concurrent.ThreadFactory loops) {
        this.options = options;
        this.loops = loops;
    }

    @Override
    public synchronized void start() {
        users++;
        if (server == null) {
            server = new TofuEchoServer(options, loops);
            server.listen(Transport.TCP, Address.tcpServer("127.0.0.1", 0));
            server.listen(Transport.UDS, Address.udsServer(Path.of("")));
        }
    }

    @Override
    public synchronized Address address(Transport transport) {
        return server.clientAddresses().get(transport);
    }

    @Override
    public boolean inProcess() {
        return true;
    }

    @Override
    public List<String> leaks(long waitMillis) {
        TofuEchoServer s;
        synchronized (this) {
            s = server;
        }
        if (s == null) {
            return List.of();
        }
        return serverLeaks(s, waitMillis);
    }

    /** Leaks of a running echo server once every client has gone (shared with the server subcommand). */
    public static List<String> serverLeaks(TofuEchoServer s, long waitMillis) {
        Engine e = s.engine();
        long deadline = System.currentTimeMillis() + waitMillis;
        while (System.currentTimeMillis() < deadline
                && (e.openChannels() != s.listeners() || e.pool().outstanding() != 0)) {
            sleep(20);
        }
        List<String> out = new ArrayList<>();
        while (System.currentTimeMillis() < deadline && e.liveEngineThreads() > s.listeners()) {
            sleep(20);
        }
        if (e.liveEngineThreads() > s.listeners()) {
            out.add("server: " + e.liveEngineThreads() + " engine threads alive, expected " + s.listeners() + " (listeners)");
        }
        if (e.openChannels() != s.listeners()) {
            out.add("server: " + (e.openChannels() - s.listeners()) + " channels still open besides the "
                    + s.listeners() + " listeners");
        }
        if (e.pool().outstanding() != 0) {
            out.add("server: " + e.pool().outstanding() + " pooled messages not back in the pool");
        }
        if (s.failure() != null) {
            out.add("server: echo loop failed: " + s.failure());
        }
        return out;
    }

    @Override
    public synchronized String stats() {
        if (server == null) {
            return "";
        }
        return "server echoed " + server.echoed.sum() + ", notices " + server.notices.sum()
                + ", pool created " + server.engine().pool().createdCount();
    }

    @Override
    public synchronized void close() {
        if (--users == 0 && server != null) {
            server.close();
            server = null;
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
