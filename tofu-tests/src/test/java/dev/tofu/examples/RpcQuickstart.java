package dev.tofu.examples;

import dev.tofu.*;

import java.time.Duration;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Request/response with the {@link Server} and {@link Client} layer: the library keeps the pending
 * map, matches responses by message id, joins parts and times calls out. Compare {@link CorrelatingClient}.
 */
public final class RpcQuickstart {
    /** A server that answers "hello, NAME" to every request, each on its own virtual thread. */
    public static Server startServer(Reactor reactor, Address listenOn) {
        return Server.builder(reactor)
                .listen(listenOn)                                       // port 0 / empty UDS path: the system picks
                .onRequest(request -> {
                    String name = new String(request.body().toByteArray(), UTF_8);
                    request.body().clear();
                    request.body().append(("hello, " + name).getBytes(UTF_8));
                    return request;                                     // reuse the request as the response
                })
                .start();
    }

    /** One blocking call from any thread; a missing answer is a {@link TofuTimeoutException}. */
    public static String greet(Client client, String name) {
        try (Message request = client.newMessage()) { // the request's lease ends at call: close() is then a no-op
            request.body().append(name.getBytes(UTF_8));
            try (Message response = client.call(request, Duration.ofSeconds(1))) {
                return new String(response.body().toByteArray(), UTF_8);
            }
        }
    }

    /** {@code RpcQuickstart [name...]}: a server on 127.0.0.1 and one client calling it. */
    public static void main(String[] args) {
        try (Reactor reactor = Reactor.create();
             Server server = startServer(reactor, Address.tcpServer("127.0.0.1", 0));
             Client client = Client.connect(reactor, server.addresses().get(0))) {
            for (String name : args.length > 0 ? args : new String[] {"tofu"}) {
                System.out.println(greet(client, name));
            }
        }
    }
}
