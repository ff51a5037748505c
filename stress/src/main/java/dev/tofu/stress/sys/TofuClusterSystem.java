package dev.tofu.stress.sys;

import dev.tofu.Address;
import dev.tofu.ClusterClient;
import dev.tofu.ClusterOptions;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.TofuException;
import dev.tofu.internal.engine.Engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * tofu's {@link ClusterClient} (issue 23): the server half runs N {@link Server}s echoing every
 * Request ({@code onRequest(r -> r)}) on one reactor, and each connection is one
 * {@link ClusterClient} over all of them (round robin) doing blocking {@code call}s, driven exactly
 * as {@link TofuCallSystem} drives its single-server {@link dev.tofu.Client}.
 *
 * <ul>
 *   <li>{@code tofu-cluster}: one server in the set, so {@code compare --systems tofu-call,tofu-cluster}
 *       shows what the cluster layer itself costs per call (the pick, the per-server counters, the
 *       sent/not-sent bookkeeping) over a plain {@code Client}.</li>
 *   <li>{@code tofu-cluster2}: two servers, so each call also pays the copy kept for re-routing, and
 *       the load is spread over twice the channels (fewer messages per channel to batch, readers
 *       that park more often with one call in flight).</li>
 * </ul>
 *
 * <p>The endpoint is the servers' client addresses separated by spaces.
 */
public final class TofuClusterSystem implements EchoSystem {
    private final int servers;
    private final Transport transport;
    private List<Address> targets;
    private Reactor client;
    private int inFlight = 1;

    public TofuClusterSystem(Transport transport, int servers) {
        this.transport = transport;
        this.servers = servers;
    }

    @Override
    public String name() {
        return servers == 1 ? "tofu-cluster" : "tofu-cluster" + servers;
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public EchoServer newServer() {
        return new Half(transport, servers);
    }

    @Override
    public void attach(String endpoint) {
        targets = new ArrayList<>();
        for (String a : endpoint.trim().split(" +")) {
            targets.add(Address.parse(a));
        }
    }

    @Override
    public void prepare(int connections, int inFlight, int maxPayload) {
        if (client != null) {
            client.close();
        }
        this.inFlight = Math.max(1, inFlight);
        client = Reactor.create(TofuSystem.clientOptions(connections, inFlight, maxPayload));
    }

    @Override
    public Connection connect() throws IOException {
        try {
            ClusterClient c = ClusterClient.connect(client, targets, ClusterOptions.DEFAULT);
            if (c.stats().servers().stream().anyMatch(m -> m.state() != dev.tofu.ClusterStats.State.READY)) {
                String why = c.stats().toString();
                c.close();
                throw new IOException("connect: not every server is ready: " + why);
            }
            return new CallingConnection(new MessageCaller(c::newMessage, c::call), inFlight, c::close, c::close);
        } catch (TofuException e) {
            throw new IOException("connect: " + e.getMessage(), e);
        }
    }

    @Override
    public ThreadFactory driverThreads() {
        return Thread.ofVirtual().name("drv-" + name() + "-" + transport.label() + "-", 0).factory();
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

    @Override
    public void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    /** The server half: N {@link Server}s echoing every Request, on a reactor of their own. */
    private static final class Half implements EchoServer {
        private final Transport transport;
        private final int count;
        private Reactor reactor;
        private final List<Server> servers = new ArrayList<>();

        Half(Transport transport, int count) {
            this.transport = transport;
            this.count = count;
        }

        @Override
        public String start() {
            reactor = Reactor.create(TofuEchoServer.defaultOptions());
            StringBuilder endpoint = new StringBuilder();
            for (int i = 0; i < count; i++) {
                Server server = Server.builder(reactor)
                        .listen(transport == Transport.TCP ? Address.tcpServer("127.0.0.1", 0) : Address.udsServer(Path.of("")))
                        .onRequest(request -> request)
                        .maxConcurrency(1 << 20)
                        .maxConcurrencyPerChannel(4096)
                        .start();
                servers.add(server);
                endpoint.append(i == 0 ? "" : " ").append(server.addresses().get(0).value());
            }
            return endpoint.toString();
        }

        @Override
        public List<String> leaks(long waitMillis) {
            long deadline = System.currentTimeMillis() + waitMillis;
            Engine s = (Engine) reactor.ampe();
            while (System.currentTimeMillis() < deadline && s.openChannels() != count) {
                EmbeddedTofuServer.sleep(20);
            }
            return s.openChannels() == count ? List.of()
                    : List.of("server: " + (s.openChannels() - count) + " channels still open besides the listeners");
        }

        @Override
        public void close() {
            if (reactor != null) {
                servers.forEach(Server::close);
                servers.clear();
                reactor.close();
                reactor = null;
            }
        }
    }
}
