package dev.tofu.examples;

import dev.tofu.*;
import dev.tofu.recipes.EchoServer;

import java.time.Duration;
import java.util.*;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Request/response with a pending map (PROTOCOL.md §7 R20), raw API: post every request without
 * waiting, then match each Response, in whatever order it comes, to its request by message id.
 */
public final class CorrelatingClient {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Sends each body as a Request; returns request body → response body, in arrival order. */
    public static Map<String, String> callAll(Ampe ampe, Address server, List<String> bodies) {
        try (ChannelGroup group = ampe.create()) {                        // close() destroys the group
            Message hello = ampe.get(AllocationStrategy.ALWAYS);
            server.format(hello);                                         // HelloRequest + ~connect_to
            int ch = group.post(hello).channel();                         // usable at once
            Map<Long, String> pending = new HashMap<>();                  // message id → request body
            for (String body : bodies) {                                  // post them all, wait for none
                Message req = ampe.get(AllocationStrategy.ALWAYS);
                req.opCode(OpCode.REQUEST).channel(ch).body().append(body.getBytes(UTF_8));
                pending.put(group.post(req).messageId(), body);           // the engine assigned a fresh id
            }
            Map<String, String> answers = new LinkedHashMap<>();
            while (!pending.isEmpty()) {
                try (Message m = next(group)) {                           // close() puts it back to the pool
                    if (m.opCode() != OpCode.RESPONSE) continue;          // the HelloResponse
                    String request = pending.remove(m.messageId());       // whose answer is this?
                    if (request == null) throw new IllegalStateException("no request with id " + m.messageId());
                    answers.put(request, new String(m.body().toByteArray(), UTF_8));
                }
            }
            Message bye = ampe.get(AllocationStrategy.ALWAYS);
            group.post(bye.opCode(OpCode.BYE_REQUEST).channel(ch));       // graceful close
            next(group).close();                                          // ByeResponse
            ampe.put(group.waitReceive(WAIT));                            // our channel's close Signal
            return answers;
        }
    }

    /** The next message from the peer; an engine notice other than pool_empty ends the exchange. */
    static Message next(ChannelGroup group) {
        while (true) {
            Message m = group.waitReceive(WAIT);
            if (m == null) throw new TofuTimeoutException("nothing arrived within " + WAIT);
            if (!m.isFromEngine()) return m;
            Status status = m.status();
            m.close();                                                    // a pool_empty Signal refills the pool
            if (status != Status.POOL_EMPTY) throw new TofuException(status, "the channel closed");
        }
    }

    /** {@code CorrelatingClient [port]}: talks to an EchoServer on 127.0.0.1, or starts one here. */
    public static void main(String[] args) throws Exception {
        List<String> bodies = List.of("one", "two", "three", "four", "five");
        try (Reactor reactor = Reactor.create();
             EchoServer echo = new EchoServer(reactor.ampe(), Address.tcpServer("127.0.0.1", 0))) {
            Address server = args.length > 0 ? Address.tcpClient("127.0.0.1", Integer.parseInt(args[0])) : echo.address();
            callAll(reactor.ampe(), server, bodies).forEach((q, a) -> System.out.println(q + " -> " + a));
        }
    }
}
