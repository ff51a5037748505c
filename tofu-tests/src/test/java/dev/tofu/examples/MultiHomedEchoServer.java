package dev.tofu.examples;

import dev.tofu.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A multi-homed echo server (PROTOCOL.md §7 R16/R17, compact): TCP and Unix-domain listeners in one
 * group, served by one virtual thread. The full recipe with pluggable services is
 * {@code dev.tofu.recipes.MultiHomedServer}.
 */
public final class MultiHomedEchoServer implements AutoCloseable {
    private final ChannelGroup group;
    private final List<Address> addresses = new ArrayList<>();
    private final Thread thread;

    /** Starts one listener per address, in order, then the serving thread. */
    public MultiHomedEchoServer(Ampe ampe, Address... listenOn) {
        this.group = ampe.create();
        for (Address address : listenOn) {
            Message welcome = ampe.get(AllocationStrategy.ALWAYS);
            address.format(welcome);                                    // WelcomeRequest + ~listen_on
            group.post(welcome);
            Message m;
            while ((m = group.waitReceive(ChannelGroup.INFINITE)).opCode() != OpCode.WELCOME_RESPONSE) {
                echo(m);                                                // a client of an earlier listener: serve it
            }
            Status status = m.status();
            String boundTo = m.headers().get(Address.BOUND_TO);        // the real address (port 0 → the chosen port)
            m.close();
            if (status != Status.SUCCESS) { group.close(); throw new TofuException(status, address.value()); }
            addresses.add(Address.parse(boundTo));
        }
        thread = Thread.ofVirtual().name("multi-homed-echo").start(this::serve);
    }

    /** Where clients connect, one address per listener. */
    public List<Address> addresses() {
        return List.copyOf(addresses);
    }

    private void serve() {
        Message m;
        while ((m = group.waitReceive(ChannelGroup.INFINITE)).status() != Status.RECEIVER_UPDATE) {
            echo(m);                                                    // whichever listener accepted the client
        }
        m.close();
    }

    private void echo(Message m) {
        switch (m.opCode()) {
            case HELLO_REQUEST, REQUEST, SIGNAL, BYE_REQUEST -> {
                if (m.isFromEngine()) { m.close(); return; }            // close Signals, pool_empty: put back
                try { group.post(m.opCode(m.opCode().echo())); } catch (TofuException gone) { m.close(); }
            }
            default -> m.close();                                       // responses: nothing to answer
        }
    }

    /** Stops the thread with {@code updateReceiver(null)}, then destroys the group: every channel closes. */
    @Override
    public void close() throws InterruptedException {
        group.updateReceiver(null);
        thread.join();
        group.close();
    }

    /** {@code MultiHomedEchoServer [port] [uds-path]}: echoes on 127.0.0.1 and a Unix-domain socket until Enter. */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : Address.DEFAULT_PORT;
        Path uds = args.length > 1 ? Path.of(args[1]) : Path.of(System.getProperty("java.io.tmpdir"), "tofu-echo.sock");
        try (Reactor reactor = Reactor.create();
             MultiHomedEchoServer echo = new MultiHomedEchoServer(reactor.ampe(), Address.tcpServer("127.0.0.1", port),
                     Address.udsServer(uds))) {
            System.out.println("echoing on " + echo.addresses().stream().map(Address::value).toList() + "; Enter stops");
            System.in.read();
        }
    }
}
