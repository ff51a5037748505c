package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipes R13–R15 (PROTOCOL.md §7): reconnecting until a server appears. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RecipesReconnectTest {
    private static final int FAILURES_BEFORE_SERVER = 3;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r13SingleThreadClientRetriesUntilTheServerOnAnotherEngineStarts(Transport transport) {
        List<Status> failures = Scenarios.reconnectSingleThread(transport, FAILURES_BEFORE_SERVER);
        assertEquals(FAILURES_BEFORE_SERVER, failures.size(),
                "R13: exactly the counted failures happen before the server starts, then the connect succeeds");
        Set<Status> allowed = transport == Transport.TCP
                ? Set.of(Status.CONNECT_FAILED, Status.COMMUNICATION_FAILED)
                : Set.of(Status.UDS_PATH_NOT_FOUND);
        assertTrue(allowed.containsAll(failures), "R13/§5.3: failure statuses " + failures + " in " + allowed);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r14TwoThreadClientRepostsHelloUntilTheServerThreadListens(Transport transport) throws InterruptedException {
        int failures = Scenarios.reconnectTwoThreads(transport, FAILURES_BEFORE_SERVER);
        assertTrue(failures >= FAILURES_BEFORE_SERVER,
                "R14: the server thread starts only after the client failed " + FAILURES_BEFORE_SERVER + " times: " + failures);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void r15ConnectorPostsACopyOfItsTemplatePerAttemptAndClassifiesReplies(Transport transport) {
        Endpoints at = Endpoints.fresh(transport);
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup client = ampe.create();
            ChannelGroup server = ampe.create();
            Connector connector = new Connector(ampe, client, at.client());
            List<Connector.Outcome> seen = new ArrayList<>();
            List<Integer> channels = new ArrayList<>();
            channels.add(connector.attempt());
            int failed = 0;
            boolean connected = false;
            while (!connected) {
                Message m = Wire.await(client, x -> true);
                Connector.Outcome o = connector.classify(m);
                seen.add(o);
                if (o == Connector.Outcome.CONNECTED) {
                    connected = true;
                } else if (o == Connector.Outcome.FAILED) {
                    failed++;
                } else if (o == Connector.Outcome.CLOSED) {
                    if (failed == FAILURES_BEFORE_SERVER) {
                        Wire.listen(ampe, server, at.server());
                        channels.add(connector.attempt());
                        Message hello = Wire.await(server, x -> x.opCode() == OpCode.HELLO_REQUEST);
                        assertEquals("connector-recipe", hello.headers().get("client"),
                                "R15: the copy carries the template's headers");
                        assertEquals(at.client().value(), hello.headers().get(Address.CONNECT_TO), "R15");
                        server.post(hello.opCode(OpCode.HELLO_RESPONSE));
                    } else {
                        channels.add(connector.attempt());
                    }
                }
                m.close();
            }
            assertEquals(FAILURES_BEFORE_SERVER + 1, connector.attempts(), "R15: one copy posted per attempt");
            assertEquals(FAILURES_BEFORE_SERVER + 1, Set.copyOf(channels).size(), "R15: every attempt has its own channel");
            assertEquals(List.of(Connector.Outcome.FAILED, Connector.Outcome.CLOSED, Connector.Outcome.FAILED,
                    Connector.Outcome.CLOSED, Connector.Outcome.FAILED, Connector.Outcome.CLOSED,
                    Connector.Outcome.CONNECTED), seen, "R15: replies classified by channel and status");
            assertEquals(OpCode.HELLO_REQUEST, connector.template().opCode(), "R15: the template is never posted");
            assertEquals(at.client().value(), connector.template().headers().get(Address.CONNECT_TO), "R15");
            connector.template().opCode(OpCode.HELLO_REQUEST);   // still owned by the app: no IllegalStateException
            ampe.destroy(client);
            ampe.destroy(server);
            NoLeaks.assertAtRest(reactor);
        } finally {
            at.cleanUp();
        }
    }
}
