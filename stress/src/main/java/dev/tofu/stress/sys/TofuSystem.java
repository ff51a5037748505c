package dev.tofu.stress.sys;

import dev.tofu.Address;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.internal.engine.Engine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.function.UnaryOperator;

/**
 * tofu for Java over one transport: the echo server of a {@link TofuServerHandle} and, per
 * measurement, a fresh client reactor whose channels each live in a group of their own, driven by
 * one virtual thread each (blocking post/waitReceive, the way the README shows it).
 *
 * <p>Leak check after each measurement: the client engine has no open channel and every pooled
 * message is back; the server has only its listeners open and every message back; after the client
 * reactor closes, no engine thread besides the server's listeners is alive.
 */
public final class TofuSystem implements EchoSystem {
    private final Transport transport;
    private final TofuServerHandle server;
    private final String name;
    private final UnaryOperator<Options> tweak;
    private final boolean platformDrivers;
    private Address target;        // control thread writes; drivers read after prepare
    private Reactor client;        // control thread writes; drivers read after prepare

    public TofuSystem(Transport transport, TofuServerHandle server) {
        this(transport, server, false);
    }

    /** With {@code directWrite}, the client reactor posts with {@code Options.withDirectWrite(true)}. */
    public TofuSystem(Transport transport, TofuServerHandle server, boolean directWrite) {
        this(transport, server, directWrite ? "tofu-direct" : "tofu", o -> o.withDirectWrite(directWrite), false);
    }

    /**
     * A variant named {@code name}: {@code tweak} changes the client reactor's options, and with
     * {@code platformDrivers} the driver threads (the application threads that post and
     * waitReceive) are platform threads instead of virtual ones.
     */
    public TofuSystem(Transport transport, TofuServerHandle server, String name, UnaryOperator<Options> tweak,
                      boolean platformDrivers) {
        this.transport = transport;
        this.server = server;
        this.name = name;
        this.tweak = tweak;
        this.platformDrivers = platformDrivers;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public EchoServer newServer() {
        return new Half(server, transport);
    }

    @Override
    public void attach(String endpoint) {
        target = Address.parse(endpoint);
    }

    /** The options of the client reactor for a measurement of this shape. */
    static Options clientOptions(int connections, int inFlight, int maxPayload) {
        long need = (long) connections * (inFlight + 1) + 16;
        int initial = (int) Math.min(need, maxPayload > 8192 ? 256 : 16384);
        int max = (int) Math.min(65535, Math.max(initial, 2 * need));
        return Options.of(initial, max).withReceiveQueueCapacity(Math.max(64, inFlight * 2));
    }

    @Override
    public void prepare(int connections, int inFlight, int maxPayload) {
        if (client != null) {
            client.close();
        }
        client = Reactor.create(tweak.apply(clientOptions(connections, inFlight, maxPayload)));
    }

    @Override
    public Connection connect() throws IOException {
        return TofuConnection.open(client.ampe(), target);
    }

    @Override
    public ThreadFactory driverThreads() {
        String prefix = "drv-" + name + "-" + transport.label() + "-";
        return platformDrivers ? Thread.ofPlatform().daemon().name(prefix, 0).factory()
                : Thread.ofVirtual().name(prefix, 0).factory();
    }

    @Override
    public List<String> leaks(long waitMillis) {
        if (client == null) {
            return new ArrayList<>();
        }
        List<String> out = TofuSystem.closeClientReactor(client, waitMillis);
        client = null;
        return out;
    }

    /**
     * Waits up to {@code waitMillis} for a client reactor to be at rest, closes it, and returns what
     * leaked: channels still open, pooled messages not back, engine threads alive after the close
     * (the server's own listeners are checked by the server half).
     */
    static List<String> closeClientReactor(Reactor client, long waitMillis) {
        List<String> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + waitMillis;
        Engine e = (Engine) client.ampe();
        while (System.currentTimeMillis() < deadline && (e.openChannels() != 0 || e.pool().outstanding() != 0)) {
            EmbeddedTofuServer.sleep(20);
        }
        if (e.openChannels() != 0) {
            out.add("client: " + e.openChannels() + " channels still open");
        }
        if (e.pool().outstanding() != 0) {
            out.add("client: " + e.pool().outstanding() + " pooled messages not back in the pool");
        }
        client.close();
        while (System.currentTimeMillis() < deadline && e.liveEngineThreads() > 0) {
            EmbeddedTofuServer.sleep(20);
        }
        if (e.liveEngineThreads() > 0) {
            out.add("client engine threads alive after close: " + e.liveEngineThreads());
        }
        return out;
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    /** The server half: one user of a {@link TofuServerHandle} (shared by both transports), its listener for one transport. */
    private record Half(TofuServerHandle server, Transport transport) implements EchoServer {
        @Override
        public String start() throws Exception {
            server.start();
            Address a = server.address(transport);
            if (a == null) {
                throw new IllegalStateException("the tofu server has no " + transport.label()
                        + " listener (with --connect, give an address for every transport of --transports)");
            }
            return a.value();
        }

        @Override
        public List<String> leaks(long waitMillis) {
            return server.leaks(waitMillis);
        }

        @Override
        public String stats() {
            return server.stats();
        }

        @Override
        public void close() {
            server.close();
        }
    }
}
