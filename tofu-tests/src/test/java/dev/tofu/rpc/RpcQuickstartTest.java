package dev.tofu.rpc;

import dev.tofu.Address;
import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The README quickstart, verbatim: a server in about ten lines and a call in about five. */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RpcQuickstartTest {
    @RegisterExtension
    static final PinningGuard CLIENT_THREADS = Rpc.clientThreads();
    @RegisterExtension
    static final PinningGuard SERVER_THREADS = Rpc.serverThreads();

    @Test
    void readmeQuickstartServerAndClient() {
        String answer;
        // --- README quickstart: server ---
        try (Reactor reactor = Reactor.create();
             Server server = Server.builder(reactor)
                     .listen(Address.tcpServer("127.0.0.1", 0))    // port 0: the system picks one
                     .onRequest(request -> {                       // runs on a handler virtual thread
                         String name = new String(request.body().toByteArray(), UTF_8);
                         request.body().clear();
                         request.body().append(("hello, " + name).getBytes(UTF_8));
                         return request;                           // reuse the request as the response
                     })
                     .start()) {
            Address address = server.addresses().get(0);
            // --- README quickstart: client ---
            try (Client client = Client.connect(reactor, address)) {
                try (Message request = client.newMessage()) {         // close() after call: does nothing
                    request.body().append("tofu".getBytes(UTF_8));
                    try (Message response = client.call(request, Duration.ofSeconds(1))) {
                        answer = new String(response.body().toByteArray(), UTF_8);
                    }
                }
            }
            // --- end of README quickstart ---
            assertEquals("hello, tofu", answer);
            server.close();
            NoLeaks.assertAtRest(reactor);
        }
    }
}
