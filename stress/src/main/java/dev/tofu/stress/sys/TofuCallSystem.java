package dev.tofu.stress.sys;

import dev.tofu.Address;
import dev.tofu.Client;
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
 * tofu's request/response layer: a {@link Server} echoing every Request ({@code onRequest(r -> r)})
 * and one {@link Client} per connection doing blocking {@code call}s, so {@code compare} shows what
 * correlation by message id costs over the raw post/waitReceive of {@link TofuSystem}.
 *
 * <p>With one message in flight the driver thread itself calls (the pingpong path is exactly one
 * {@code call}); with K in flight, K virtual threads per connection call and hand their answers to
 * the driver.
 */
public final class TofuCallSystem implements EchoSystem {
    private final Transport transport;
    private Address target;
    private Reactor client;
    private int inFlight = 1;

    public TofuCallSystem(Transport transport) {
        this.transport = transport;
    }

    @Override
    public String name() {
        return "tofu-call";
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public EchoServer newServer() {
        return new Half(transport);
    }

    @Override
    public void attach(String endpoint) {
        target = Address.parse(endpoint);
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
            Client c = Client.connect(client, target);
            return new CallingConnection(new MessageCaller(c::newMessage, c::call), inFlight, c::close, c::close);
        } catch (TofuException e) {
            throw new IOException("connect: " + e.getMessage(), e);
        }
    }

    @Override
    public ThreadFactory driverThreads() {
        return Thread.ofVirtual().name("drv-tofu-call-" + transport.label() + "-", 0).factory();
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

    /** The server half: a {@link Server} echoing every Request, on a reactor of its own. */
    private static final class Half implements EchoServer {
        private final Transport transport;
        private Reactor reactor;
        private Server server;

        Half(Transport transport) {
            this.transport = transport;
        }

        @Override
        public String start() {
            reactor = Reactor.create(TofuEchoServer.defaultOptions());
            server = Server.builder(reactor)
                    .listen(transport == Transport.TCP ? Address.tcpServer("127.0.0.1", 0) : Address.udsServer(Path.of("")))
                    .onRequest(request -> request)
                    .maxConcurrency(1 << 20)
                    .maxConcurrencyPerChannel(4096)
                    .start();
            return server.addresses().get(0).value();
        }

        @Override
        public List<String> leaks(long waitMillis) {
            long deadline = System.currentTimeMillis() + waitMillis;
            Engine s = (Engine) reactor.ampe();
            while (System.currentTimeMillis() < deadline && s.openChannels() != 1) {
                EmbeddedTofuServer.sleep(20);
            }
            return s.openChannels() == 1 ? List.of()
                    : List.of("server: " + (s.openChannels() - 1) + " channels still open besides the listener");
        }

        @Override
        public void close() {
            if (server != null) {
                server.close();
                reactor.close();
                server = null;
            }
        }
    }
}
