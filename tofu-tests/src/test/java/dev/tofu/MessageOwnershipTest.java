package dev.tofu;

import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ownership rules of API.md: a message belongs to exactly one of the application, the engine
 * and the pool. No engine exists here, so the pool is used directly and "posting" is simulated by
 * moving the owner to {@link Owner#ENGINE}, which is what post does first.
 */
class MessageOwnershipTest {
    private static final MessageAccess ACCESS = MessageAccess.get();

    /** Every call that changes a message; each must throw unless the application owns it. */
    static Stream<Named<Consumer<Message>>> changes() {
        return Stream.of(
                Named.of("opCode(...)", m -> m.opCode(OpCode.SIGNAL)),
                Named.of("channel(...)", m -> m.channel(3)),
                Named.of("messageId(...)", m -> m.messageId(3)),
                Named.of("more(...)", m -> m.more(true)),
                Named.of("status(...)", m -> m.status(Status.POOL_EMPTY)),
                Named.of("origin(...)", m -> m.origin(Origin.ENGINE)),
                Named.of("reset()", Message::reset),
                Named.of("headers().append(...)", m -> m.headers().append("a", "b")),
                Named.of("headers().clear()", m -> m.headers().clear()),
                Named.of("body().append(byte[])", m -> m.body().append(new byte[] {1})),
                Named.of("body().append(byte[], off, len)", m -> m.body().append(new byte[] {1, 2}, 1, 1)),
                Named.of("body().append(ByteBuffer)", m -> m.body().append(ByteBuffer.wrap(new byte[] {1}))),
                Named.of("body().clear()", m -> m.body().clear()));
    }

    @Test
    void getHandsTheMessageToTheApplication() {
        MessagePool pool = new MessagePool(1, 2);
        Message pooled = pool.get(AllocationStrategy.POOL_ONLY);
        Message created = pool.get(AllocationStrategy.ALWAYS);
        assertNotNull(pooled, "PROTOCOL.md §6.2: the pool started with one message");
        assertEquals(Owner.APPLICATION, ACCESS.owner(pooled), "API.md: get hands it to the application");
        assertEquals(Owner.APPLICATION, ACCESS.owner(created), "API.md: get hands it to the application (new message)");
        pooled.opCode(OpCode.SIGNAL).channel(1);   // the application may change what it owns
        created.body().append(new byte[] {1});
    }

    @Test
    void putHandsTheMessageToThePool() {
        MessagePool pool = new MessagePool(0, 2);
        Message m = pool.get(AllocationStrategy.ALWAYS);
        pool.put(m);
        assertEquals(Owner.POOL, ACCESS.owner(m), "API.md: put hands the message to the pool");
        assertEquals(1, pool.idleCount(), "PROTOCOL.md §6.2: put keeps it while fewer than max are idle");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void everyChangeAfterPutThrowsIllegalStateException(Consumer<Message> change) {
        MessagePool pool = new MessagePool(0, 2);
        Message m = pool.get(AllocationStrategy.ALWAYS);
        pool.put(m);
        assertThrows(IllegalStateException.class, () -> change.accept(m),
                "API.md: after put, any use of it by the application throws IllegalStateException");
        assertEquals(Owner.POOL, ACCESS.owner(m), "the failed call leaves the message with the pool");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void everyChangeAfterAMoveToTheEngineThrowsIllegalStateException(Consumer<Message> change) {
        Message m = new Message();
        postSimulated(m);
        assertThrows(IllegalStateException.class, () -> change.accept(m),
                "API.md: after post, a setter or body() change throws IllegalStateException");
        assertEquals(Owner.ENGINE, ACCESS.owner(m), "the failed call leaves the message with the engine");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void everyChangeWorksAgainOnceGetHandsTheMessageBack(Consumer<Message> change) {
        MessagePool pool = new MessagePool(0, 2);
        Message m = pool.get(AllocationStrategy.ALWAYS);
        pool.put(m);
        Message again = pool.get(AllocationStrategy.POOL_ONLY);
        assertSame(m, again, "PROTOCOL.md §6.2: LIFO, the only idle message comes back");
        change.accept(again); // must not throw: "until get hands it out again"
        assertEquals(Owner.APPLICATION, ACCESS.owner(again), "API.md: get hands it to the application");
    }

    @Test
    void putOfNullDoesNothing() {
        MessagePool pool = new MessagePool(1, 2);
        pool.put(null);
        assertEquals(1, pool.idleCount(), "API.md: put(null) does nothing");
        assertEquals(0, pool.droppedCount(), "API.md: put(null) does nothing");
    }

    @Test
    void aSecondPutOfTheSameMessageDoesNothing() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = pool.get(AllocationStrategy.ALWAYS);
        pool.put(m);
        pool.put(m);
        assertEquals(1, pool.idleCount(), "API.md: put on a message already in the pool does nothing");
        assertEquals(0, pool.droppedCount(), "API.md: put on a message already in the pool does nothing");
        assertSame(m, pool.get(AllocationStrategy.POOL_ONLY), "the message is in the pool once");
        assertEquals(null, pool.get(AllocationStrategy.POOL_ONLY), "... and only once");
    }

    @Test
    void closeAfterPutDoesNothing() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = pool.get(AllocationStrategy.ALWAYS);
        pool.put(m);
        m.close();
        assertEquals(1, pool.idleCount(), "API.md: close() on a message the pool owns does nothing");
        assertEquals(Owner.POOL, ACCESS.owner(m), "API.md: the pool still owns it");
    }

    @Test
    void closeReturnsAPooledMessageToItsPool() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = pool.get(AllocationStrategy.ALWAYS);
        m.channel(9).body().append(new byte[] {1, 2, 3});
        int before = pool.idleCount();
        m.close();
        assertEquals(before + 1, pool.idleCount(), "API.md: close() returns it to its pool");
        assertEquals(Owner.POOL, ACCESS.owner(m), "API.md: close() == put()");
        Message again = pool.get(AllocationStrategy.POOL_ONLY);
        assertSame(m, again, "PROTOCOL.md §6.2: LIFO");
        MessageTest.assertIsReset(again, "after close() and get");
    }

    @Test
    void tryWithResourcesReturnsTheMessageToThePool() {
        MessagePool pool = new MessagePool(0, 4);
        Message held;
        try (Message m = pool.get(AllocationStrategy.ALWAYS)) {
            held = m;
            m.opCode(OpCode.SIGNAL);
        }
        assertEquals(Owner.POOL, ACCESS.owner(held), "API.md: close() == put() unless posted");
        assertEquals(1, pool.idleCount(), "API.md: close() == put() unless posted");
    }

    @Test
    void aForeignMessagePutOnceReturnsToThatPoolOnClose() {
        MessagePool pool = new MessagePool(0, 4);
        Message own = new Message();
        pool.put(own);
        Message m = pool.get(AllocationStrategy.POOL_ONLY);
        assertSame(own, m, "PROTOCOL.md §6.2: any message may be put; that is how apps grow the pool");
        m.close();
        assertEquals(1, pool.idleCount(), "API.md: close() returns it to its pool");
    }

    @Test
    void closeOnAMessageOfNoPoolOnlyClearsIt() {
        Message m = MessageTest.dirty(new Message());
        m.close();
        assertEquals(Owner.APPLICATION, ACCESS.owner(m), "Message.close(): a message of no pool stays with the application");
        MessageTest.assertIsReset(m, "after close() of a message that belongs to no pool");
    }

    @Test
    void putAndCloseOfAMessageTheEngineOwnsDoNothing() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = pool.get(AllocationStrategy.ALWAYS);
        m.opCode(OpCode.SIGNAL).channel(4);
        postSimulated(m);
        pool.put(m);
        m.close();
        assertEquals(Owner.ENGINE, ACCESS.owner(m), "API.md: put and close() on a posted message are no-ops");
        assertEquals(0, pool.idleCount(), "API.md: put and close() on a posted message are no-ops");
        assertEquals(0, pool.droppedCount(), "API.md: put and close() on a posted message are no-ops");
        assertSame(OpCode.SIGNAL, m.opCode(), "the engine's message is left untouched");
        assertEquals(4, m.channel(), "the engine's message is left untouched");
    }

    @Test
    void tryWithResourcesAroundAPostIsSafe() {
        MessagePool pool = new MessagePool(0, 4);
        Message posted;
        try (Message m = pool.get(AllocationStrategy.ALWAYS)) {
            m.opCode(OpCode.REQUEST).channel(1);
            postSimulated(m);
            posted = m;
        }
        assertEquals(Owner.ENGINE, ACCESS.owner(posted), "API.md: try (Message m = …) { post(m); } is always safe");
        assertEquals(0, pool.idleCount(), "API.md: close() after post is a no-op");
    }

    @Test
    void recycleTakesAnEngineOwnedMessageBackFullyCleared() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = MessageTest.dirty(pool.get(AllocationStrategy.ALWAYS));
        postSimulated(m);
        ACCESS.setTag(m, 77);
        pool.recycle(m);
        assertEquals(Owner.POOL, ACCESS.owner(m), "PROTOCOL.md §6.2: the engine puts every written message back");
        assertEquals(1, pool.idleCount(), "PROTOCOL.md §6.2: the engine puts every written message back");
        Message again = pool.get(AllocationStrategy.POOL_ONLY);
        assertSame(m, again, "PROTOCOL.md §6.2: LIFO");
        MessageTest.assertIsReset(again, "after recycle and get");
        assertEquals(0, ACCESS.tag(again), "PROTOCOL.md §6.2: put() clears everything, engine bookkeeping too");
    }

    @Test
    void recycleIgnoresMessagesTheEngineDoesNotOwn() {
        MessagePool pool = new MessagePool(0, 4);
        Message app = pool.get(AllocationStrategy.ALWAYS).channel(3);
        pool.recycle(app);
        pool.recycle(null);
        assertEquals(Owner.APPLICATION, ACCESS.owner(app), "API.md: a message has exactly one owner; recycle takes only the engine's");
        assertEquals(3, app.channel(), "the application's message is untouched");
        assertEquals(0, pool.idleCount(), "recycle of an application or null message keeps nothing");
    }

    @Test
    void aMessageHasExactlyOneOwnerWhenTwoPartiesRaceToTakeIt() {
        Message m = new Message();
        assertTrue(ACCESS.casOwner(m, Owner.APPLICATION, Owner.ENGINE), "the first move succeeds");
        assertEquals(false, ACCESS.casOwner(m, Owner.APPLICATION, Owner.POOL),
                "API.md: owned by exactly one: a second move from the application fails");
    }

    /** What post does first: move the message from the application to the engine. */
    private static void postSimulated(Message m) {
        assertTrue(ACCESS.casOwner(m, Owner.APPLICATION, Owner.ENGINE), "the application owned the message before post");
    }
}
