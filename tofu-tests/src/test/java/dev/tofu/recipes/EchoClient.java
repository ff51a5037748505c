package dev.tofu.recipes;

import dev.tofu.*;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Recipe R19, "your first client": connect, send one "ping" Request, read its Response, then
 * close gracefully with ByeRequest / ByeResponse (PROTOCOL.md §5.3, §5.5.1).
 */
public final class EchoClient {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private EchoClient() {
    }

    /** Sends {@code text} to the echo server at {@code server}; returns the echoed body. */
    public static String ping(Ampe ampe, Address server, String text) {
        try (ChannelGroup client = ampe.create()) {
            Message hello = ampe.get(AllocationStrategy.ALWAYS);
            server.format(hello);                                         // HelloRequest + ~connect_to
            int ch = client.post(hello).channel();                        // usable at once

            ampe.put(expect(ampe, client.waitReceive(WAIT), OpCode.HELLO_RESPONSE));

            Message req = ampe.get(AllocationStrategy.ALWAYS);
            req.opCode(OpCode.REQUEST).channel(ch).body().append(text.getBytes(StandardCharsets.UTF_8));
            long id = client.post(req).messageId();                       // the engine assigned the id
            Message resp = expect(ampe, client.waitReceive(WAIT), OpCode.RESPONSE);
            String echoed = new String(resp.body().toByteArray(), StandardCharsets.UTF_8);
            boolean sameId = resp.messageId() == id;
            ampe.put(resp);
            if (!sameId) {
                throw new IllegalStateException("response to another request");
            }

            Message bye = ampe.get(AllocationStrategy.ALWAYS);
            client.post(bye.opCode(OpCode.BYE_REQUEST).channel(ch));
            ampe.put(expect(ampe, client.waitReceive(WAIT), OpCode.BYE_RESPONSE));
            ampe.put(client.waitReceive(WAIT));                           // our channel's close Signal
            return echoed;
        }
    }

    /** Returns {@code m} if it is a successful {@code op} from the peer; otherwise fails. */
    private static Message expect(Ampe ampe, Message m, OpCode op) {
        if (m != null && m.opCode() == op && !m.isFromEngine()) {
            return m;
        }
        String what = String.valueOf(m);
        ampe.put(m);
        throw new IllegalStateException("expected " + op + ", got " + what);
    }

    /** {@code java dev.tofu.recipes.EchoClient [port]}: pings 127.0.0.1. */
    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : Address.DEFAULT_PORT;
        try (Reactor reactor = Reactor.create()) {
            System.out.println(ping(reactor.ampe(), Address.tcpClient("127.0.0.1", port), "ping"));
        }
    }
}
