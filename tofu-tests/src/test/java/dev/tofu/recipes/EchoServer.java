package dev.tofu.recipes;

import dev.tofu.*;

/**
 * Recipe R19, "your first server": one listener, one thread, echo everything (PROTOCOL.md §7).
 * HelloRequest → HelloResponse, Request → Response, Signal → Signal, ByeRequest → ByeResponse,
 * each by reusing the received message with {@link OpCode#echo()}. Stop it with
 * {@code updateReceiver(null)} (what {@link #close()} does).
 */
public final class EchoServer implements AutoCloseable {
    private final Ampe ampe;
    private final ChannelGroup server;
    private final Address address;
    private final Thread thread;

    /** Starts listening on {@code listenOn} (port 0 / empty UDS path allowed) and starts the loop. */
    public EchoServer(Ampe ampe, Address listenOn) {
        this.ampe = ampe;
        this.server = ampe.create();
        Message welcome = ampe.get(AllocationStrategy.ALWAYS);
        listenOn.format(welcome);                                     // WelcomeRequest + ~listen_on
        int listener = server.post(welcome).channel();
        Message reply = server.waitReceive(ChannelGroup.INFINITE);    // the listener's WelcomeResponse
        Status status = reply.channel() == listener ? reply.status() : Status.UNKNOWN_ERROR;
        String boundTo = reply.headers().get(Address.BOUND_TO);       // the real address (port 0 → chosen port)
        ampe.put(reply);
        if (status != Status.SUCCESS) {
            ampe.destroy(server);
            throw new TofuException(status, "cannot listen on " + listenOn.value());
        }
        this.address = Address.parse(boundTo);
        this.thread = Thread.ofVirtual().name("echo-server").start(this::serve);
    }

    /** Where clients connect. */
    public Address address() {
        return address;
    }

    private void serve() {
        while (true) {
            Message m = server.waitReceive(ChannelGroup.INFINITE);
            if (m.status() == Status.RECEIVER_UPDATE) {               // updateReceiver(null): stop
                ampe.put(m);
                return;
            }
            if (m.isFromEngine()) {                                   // close Signals and other notices
                ampe.put(m);
                continue;
            }
            switch (m.opCode()) {
                case HELLO_REQUEST, REQUEST, SIGNAL, BYE_REQUEST -> reply(m.opCode(m.opCode().echo()));
                default -> ampe.put(m);                               // responses: nothing to answer
            }
        }
    }

    private void reply(Message m) {
        try {
            server.post(m);                                           // the engine owns it now
        } catch (TofuException closedMeanwhile) {                     // channel gone: message is still ours
            ampe.put(m);
        }
    }

    /** Stops the loop, waits for it, destroys the group (closing the listener and every channel). */
    @Override
    public void close() throws InterruptedException {
        server.updateReceiver(null);
        thread.join();
        ampe.destroy(server);
    }

    /** {@code java dev.tofu.recipes.EchoServer [port]}: serves on 127.0.0.1 until Enter. */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : Address.DEFAULT_PORT;
        try (Reactor reactor = Reactor.create();
             EchoServer echo = new EchoServer(reactor.ampe(), Address.tcpServer("127.0.0.1", port))) {
            System.out.println("echoing on " + echo.address().value() + "; Enter stops");
            System.in.read();
        }
    }
}
