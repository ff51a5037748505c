package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipes R1–R8 (PROTOCOL.md §7): lifecycle, the smallest pool, synchronous and asynchronous failures. */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class RecipesLifecycleTest {

    @Test
    void r1CreatingAndClosingAnEngineAndAGroupNeitherHangsNorLeaks() {
        Scenarios.lifecycle();
        assertTrue(NoLeaks.awaitTrue(() -> dev.tofu.internal.engine.Engine.liveThreads() == 0, Wire.WAIT),
                "R1: no engine thread outlives the engine");
    }

    @Test
    void r2SmallestPoolGivesAlwaysThenNothingFromThePoolThenAlwaysAgain() {
        try (Reactor reactor = Reactor.create(Options.of(1, 1))) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();   // §6.2: a group must not consume pool messages
            Message first = ampe.get(AllocationStrategy.ALWAYS);
            Message none = ampe.get(AllocationStrategy.POOL_ONLY);
            Message extra = ampe.get(AllocationStrategy.ALWAYS);
            assertAll(
                    () -> assertNotNull(first, "R2: get(ALWAYS) from a 1/1 pool"),
                    () -> assertNull(none, "R2: get(POOL_ONLY) on the emptied pool is null"),
                    () -> assertNotNull(extra, "R2: get(ALWAYS) creates a message when the pool is empty"));
            ampe.put(first);
            ampe.put(extra);                  // beyond max: dropped (§6.2)
            ampe.destroy(g);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void r3PostingAFreshPooledRequestFailsWithInvalidChannelNumber() {
        try (Reactor reactor = Reactor.create(); Message m = reactor.ampe().get(AllocationStrategy.POOL_ONLY)) {
            ChannelGroup g = reactor.ampe().create();
            TofuException e = assertThrows(TofuException.class, () -> g.post(m), "R3");
            assertEquals(Status.INVALID_CHANNEL_NUMBER, e.status(), "R3/§2.2 rule 5: Request on channel 0");
            assertEquals(Status.INVALID_CHANNEL_NUMBER, m.status(), "§2.2: the status byte is set on the message");
            m.opCode(OpCode.SIGNAL);          // §2.2: the message stays with the caller (no IllegalStateException)
            g.close();
        }
    }

    @Test
    void r4ByeRequestOnChannelZeroFailsWithInvalidChannelNumber() {
        try (Reactor reactor = Reactor.create(); Message m = reactor.ampe().get(AllocationStrategy.ALWAYS)) {
            ChannelGroup g = reactor.ampe().create();
            m.opCode(OpCode.BYE_REQUEST).channel(0);
            TofuException e = assertThrows(TofuException.class, () -> g.post(m), "R4");
            assertEquals(Status.INVALID_CHANNEL_NUMBER, e.status(), "R4/§2.2 rule 5");
            g.close();
        }
    }

    @Test
    void r5HelloRequestWithoutAddressFailsWithWrongAddress() {
        try (Reactor reactor = Reactor.create(); Message m = reactor.ampe().get(AllocationStrategy.ALWAYS)) {
            ChannelGroup g = reactor.ampe().create();
            m.opCode(OpCode.HELLO_REQUEST);
            TofuException e = assertThrows(TofuException.class, () -> g.post(m), "R5");
            assertEquals(Status.WRONG_ADDRESS, e.status(), "R5/§2.2 rule 7: HelloRequest without text headers");
            assertEquals(Status.WRONG_ADDRESS, m.status(), "§2.2: status byte set");
            g.close();
        }
    }

    @Test
    void r6UnresolvableHostFailsAsynchronouslyWithInvalidAddress() {
        assertAsyncFailure(Address.tcpClient("tofu.server.zig", Endpoints.freeTcpPort()),
                Set.of(Status.INVALID_ADDRESS), "R6");
    }

    @Test
    void r7NobodyListeningFailsAsynchronouslyWithConnectFailed() {
        assertAsyncFailure(Address.tcpClient("127.0.0.1", Endpoints.freeTcpPort()),
                Set.of(Status.CONNECT_FAILED, Status.COMMUNICATION_FAILED), "R7");
    }

    @Test
    void r8ListeningOnANonLocalIpFailsWithListenFailed() {
        assertAsyncFailure(Address.tcpServer("192.128.4.5", 3298),
                Set.of(Status.LISTEN_FAILED, Status.INVALID_ADDRESS), "R8");
    }

    /** Posts a Hello/WelcomeRequest to {@code address}; expects the failed response, then the close Signal. */
    private static void assertAsyncFailure(Address address, Set<Status> allowed, String recipe) {
        try (Reactor reactor = Reactor.create()) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            address.format(m);
            OpCode expected = m.opCode().echo();
            dev.tofu.BinaryHeader h = g.post(m);
            long id = h.messageId();
            int ch = h.channel();
            List<Message> bundle = Wire.collectUntil(g, x -> Wire.isCloseSignal(x, ch));
            try {
                assertEquals(2, bundle.size(), recipe + "/§5.6: failure response then close Signal: " + bundle);
                Message failed = bundle.get(0);
                assertAll(
                        () -> assertEquals(expected, failed.opCode(), recipe + "/§9 item 9: failure comes back as " + expected),
                        () -> assertEquals(Origin.ENGINE, failed.origin(), recipe + "/§5.3: origin engine"),
                        () -> assertEquals(ch, failed.channel(), recipe + ": same channel as post()"),
                        () -> assertTrue(allowed.contains(failed.status()), recipe + ": status " + failed.status() + " in " + allowed),
                        () -> assertEquals(id, bundle.get(1).messageId(), recipe + "/§5.6: close Signal carries the channel message id"));
            } finally {
                bundle.forEach(Message::close);
            }
            g.close();
            NoLeaks.assertAtRest(reactor);
        }
    }
}
