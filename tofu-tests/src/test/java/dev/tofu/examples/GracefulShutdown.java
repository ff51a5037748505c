package dev.tofu.examples;

import dev.tofu.*;

import java.time.Duration;
import java.util.*;

/**
 * Graceful shutdown of a server holding several clients (PROTOCOL.md §7 R20, §6.9): a ByeSignal on
 * every channel, the listener first; drain until each channel's close Signal; destroy the group;
 * close the reactor. Nothing is left open, queued or out of the pool.
 */
public final class GracefulShutdown {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Answers HelloRequests until {@code n} clients are connected; returns their channels. */
    public static List<Integer> accept(ChannelGroup server, int n) {
        List<Integer> clients = new ArrayList<>();
        while (clients.size() < n) {
            Message m = CorrelatingClient.next(server);
            if (m.opCode() != OpCode.HELLO_REQUEST) { m.close(); continue; }
            clients.add(m.channel());
            server.post(m.opCode(OpCode.HELLO_RESPONSE));
        }
        return clients;
    }

    /** The shutdown; returns the channels in the order their close Signals arrived. */
    public static List<Integer> shutdown(Reactor reactor, ChannelGroup server, List<Integer> channels) {
        List<Integer> closed = closeAll(reactor.ampe(), server, channels);   // 1 and 2
        server.close();                                                 // 3. destroy the group
        reactor.close();                                                // 4. close the reactor
        return closed;
    }

    /** ByeSignal every channel, then drain the group until every one's close Signal has come. */
    public static List<Integer> closeAll(Ampe ampe, ChannelGroup server, List<Integer> channels) {
        Set<Integer> open = new HashSet<>(channels);
        for (int ch : channels) {                                       // 1. abortive close of every channel
            try (Message bye = ampe.get(AllocationStrategy.ALWAYS)) {
                server.post(bye.opCode(OpCode.BYE_SIGNAL).channel(ch)); // close() after post: no-op
            } catch (TofuException alreadyClosed) {                     // its close Signal came before
                open.remove(ch);
            }
        }
        List<Integer> closed = new ArrayList<>();
        while (!open.isEmpty()) {                                       // 2. drain: ByeSignals back, unsent messages,
            try (Message m = server.waitReceive(WAIT)) {                //    requests still arriving, close Signals
                if (m == null) throw new TofuTimeoutException("no close Signal for " + open + " within " + WAIT);
                boolean closeSignal = m.isFromEngine() && m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED;
                if (closeSignal && open.remove(m.channel())) closed.add(m.channel());
            }
        }
        return closed;
    }

    /** {@code GracefulShutdown}: a server on 127.0.0.1 with three clients, shut down cleanly. */
    public static void main(String[] args) {
        try (Reactor reactor = Reactor.create(); Reactor clients = Reactor.create()) {   // close() is idempotent
            ChannelGroup server = reactor.ampe().create(), group = clients.ampe().create();
            Message welcome = reactor.ampe().get(AllocationStrategy.ALWAYS);
            Address.tcpServer("127.0.0.1", 0).format(welcome);
            List<Integer> channels = new ArrayList<>(List.of(server.post(welcome).channel()));   // the listener first
            Message ready = CorrelatingClient.next(server);             // WelcomeResponse
            Address at = Address.parse(ready.headers().get(Address.BOUND_TO));
            ready.close();
            for (int i = 0; i < 3; i++) {
                Message hello = clients.ampe().get(AllocationStrategy.ALWAYS);
                at.format(hello);
                group.post(hello);
            }
            channels.addAll(accept(server, 3));
            System.out.println("closed, in order: " + shutdown(reactor, server, channels));
        }
    }
}
