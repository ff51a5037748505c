package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Reactor;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Test fixture for the pattern recipes: one engine, a server group with a listener and a client
 * group, and a helper to connect client channels (HelloRequest answered with HelloResponse).
 */
final class Link implements AutoCloseable {
    final Reactor reactor = Reactor.create();
    final Ampe ampe = reactor.ampe();
    final ChannelGroup server = ampe.create();
    final ChannelGroup client = ampe.create();
    final int listener;
    final Address address;

    /** A connected pair of channels: the client's and the server's number for the same connection. */
    record Conn(int client, int server) {
    }

    Link(Transport transport) {
        Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
        listener = l.channel();
        address = l.clientAddress();
    }

    /** Connects one client channel of {@code group} and has the server accept it. */
    Conn connect(ChannelGroup group) {
        int cch = Wire.hello(ampe, group, address).channel();
        Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
        int sch = hello.channel();
        server.post(hello.opCode(OpCode.HELLO_RESPONSE));
        Message hr = Wire.await(group, m -> m.channel() == cch);
        assertFalse(hr.isFromEngine(), "§5.3: connected: " + hr);
        hr.close();
        return new Conn(cch, sch);
    }

    Conn connect() {
        return connect(client);
    }

    /** Destroys both groups (closing every channel silently), checks the engine is at rest, closes it. */
    @Override
    public void close() {
        try {
            ampe.destroy(client);
            ampe.destroy(server);
            NoLeaks.assertAtRest(reactor);
        } finally {
            reactor.close();
        }
    }
}
