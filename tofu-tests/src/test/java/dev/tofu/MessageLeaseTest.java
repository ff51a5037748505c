package dev.tofu;

import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.Owner;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ownership rules of API.md in their Java form: a {@code Message} reference is valid for one
 * lease. No engine exists here, so the pool is used directly, wrapped as {@code Ampe.get}/{@code put}
 * wrap it, and "posting" is simulated by what {@code post} does first: ending the lease and giving
 * the storage to the engine.
 */
class MessageLeaseTest {
    private static final MessageAccess ACCESS = MessageAccess.get();

    /** Every call on a message, its body and its headers; each must throw once the lease has ended. */
    static Stream<Named<Consumer<Message>>> uses() {
        return Stream.of(
                Named.of("opCode(...)", m -> m.opCode(OpCode.SIGNAL)),
                Named.of("opCode()", Message::opCode),
                Named.of("channel(...)", m -> m.channel(3)),
                Named.of("channel()", Message::channel),
                Named.of("messageId(...)", m -> m.messageId(3)),
                Named.of("messageId()", Message::messageId),
                Named.of("more(...)", m -> m.more(true)),
                Named.of("more()", Message::more),
                Named.of("hasMore()", Message::hasMore),
                Named.of("status(...)", m -> m.status(Status.POOL_EMPTY)),
                Named.of("status()", Message::status),
                Named.of("origin(...)", m -> m.origin(Origin.ENGINE)),
                Named.of("origin()", Message::origin),
                Named.of("isFromEngine()", Message::isFromEngine),
                Named.of("header()", Message::header),
                Named.of("reset()", Message::reset),
                Named.of("headers()", Message::headers),
                Named.of("body()", Message::body),
                Named.of("headers().append(...)", m -> m.headers().append("a", "b")),
                Named.of("body().append(byte[])", m -> m.body().append(new byte[] {1})),
                Named.of("body().append(ByteBuffer)", m -> m.body().append(ByteBuffer.wrap(new byte[] {1}))));
    }

    /** The body and headers objects a reference handed out while its lease was live. */
    record Views(Body body, TextHeaders headers) {
    }

    /** Every call on a body or headers object taken while the lease was live. */
    static Stream<Named<Consumer<Views>>> viewUses() {
        return Stream.of(
                Named.of("body.length()", v -> v.body().length()),
                Named.of("body.toByteArray()", v -> v.body().toByteArray()),
                Named.of("body.asReadOnlyBuffer()", v -> v.body().asReadOnlyBuffer()),
                Named.of("body.copyTo(byte[], int)", v -> v.body().copyTo(new byte[16], 0)),
                Named.of("body.copyTo(ByteBuffer)", v -> v.body().copyTo(ByteBuffer.allocate(16))),
                Named.of("body.append(byte[], off, len)", v -> v.body().append(new byte[] {1, 2}, 1, 1)),
                Named.of("body.clear()", v -> v.body().clear()),
                Named.of("headers.append(...)", v -> v.headers().append("c", "d")),
                Named.of("headers.get(...)", v -> v.headers().get("a")),
                Named.of("headers.all()", v -> v.headers().all()),
                Named.of("headers.iterator()", v -> v.headers().iterator()),
                Named.of("headers.isEmpty()", v -> v.headers().isEmpty()),
                Named.of("headers.byteLength()", v -> v.headers().byteLength()),
                Named.of("headers.clear()", v -> v.headers().clear()));
    }

    @Test
    void getHandsALiveLeaseToTheApplication() {
        MessagePool pool = new MessagePool(1, 2);
        Message pooled = get(pool, AllocationStrategy.POOL_ONLY);
        Message created = get(pool, AllocationStrategy.ALWAYS);
        assertNotNull(pooled, "PROTOCOL.md §6.2: the pool started with one message");
        assertTrue(pooled.isLive() && created.isLive(), "API.md: get starts a lease");
        assertEquals(Owner.APPLICATION, ACCESS.store(pooled).owner(), "API.md: get hands it to the application");
        pooled.opCode(OpCode.SIGNAL).channel(1);
        created.body().append(new byte[] {1});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("uses")
    void everyUseAfterPutThrows(Consumer<Message> use) {
        MessagePool pool = new MessagePool(0, 2);
        Message m = get(pool, AllocationStrategy.ALWAYS);
        put(pool, m);
        assertThrows(IllegalStateException.class, () -> use.accept(m),
                "API.md: after put, every use of the reference throws IllegalStateException");
        assertEquals(1, pool.idleCount(), "the failed call leaves the storage in the pool");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("uses")
    void everyUseAfterPostThrows(Consumer<Message> use) {
        Message m = new Message();
        postSimulated(m);
        assertThrows(IllegalStateException.class, () -> use.accept(m),
                "API.md: after post, every use of the reference throws IllegalStateException");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("uses")
    void everyUseAfterCloseThrows(Consumer<Message> use) {
        Message m = new Message();
        m.close();
        assertThrows(IllegalStateException.class, () -> use.accept(m),
                "API.md: after close(), every use of the reference throws IllegalStateException");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("viewUses")
    void aBodyOrHeadersTakenDuringTheLeaseDiesWithIt(Consumer<Views> use) {
        MessagePool pool = new MessagePool(0, 2);
        Message m = get(pool, AllocationStrategy.ALWAYS);
        m.headers().append("a", "b");
        m.body().append(new byte[] {9});
        Views views = new Views(m.body(), m.headers());
        put(pool, m);
        Message next = get(pool, AllocationStrategy.POOL_ONLY); // the same storage, a new lease
        next.body().append(new byte[] {5});
        assertThrows(IllegalStateException.class, () -> use.accept(views),
                "API.md: a body or headers object dies with the lease it came from");
        assertArrayEquals(new byte[] {5}, next.body().toByteArray(), "the next lease is untouched");
        assertTrue(next.headers().isEmpty(), "the next lease is untouched");
    }

    @Test
    void aLaterLeaseOfTheSameStorageIsANewReference() {
        MessagePool pool = new MessagePool(0, 2);
        Message first = get(pool, AllocationStrategy.ALWAYS);
        MessageStore storage = ACCESS.store(first);
        put(pool, first);
        Message second = get(pool, AllocationStrategy.POOL_ONLY);
        assertSame(storage, ACCESS.store(second), "PROTOCOL.md §6.2: LIFO, the only idle storage comes back");
        assertNotSame(first, second, "API.md: every lease is a new reference");
        assertFalse(first.isLive(), "API.md: the old reference stays dead");
        second.body().append(new byte[] {7});
        first.close();
        put(pool, first);
        assertTrue(second.isLive(), "API.md: a stale close()/put never reaches a later lease");
        assertArrayEquals(new byte[] {7}, second.body().toByteArray(), "the later lease's body is untouched");
        assertEquals(0, pool.idleCount(), "the stale close()/put returned nothing to the pool");
    }

    @Test
    void aStaleReferenceNeverRevealsTheNextHoldersMessage() {
        MessagePool pool = new MessagePool(0, 2);
        Message stale = get(pool, AllocationStrategy.ALWAYS);
        pool.recycle(postSimulated(stale)); // the writer sent it and recycled the storage
        Message next = get(pool, AllocationStrategy.POOL_ONLY);
        next.body().append("secret".getBytes());
        assertEquals("Message[released]", stale.toString(), "API.md: toString of a dead reference says released");
        assertThrows(IllegalStateException.class, () -> stale.body(), "API.md: a dead reference reveals nothing");
    }

    @Test
    void putOfNullDoesNothing() {
        MessagePool pool = new MessagePool(1, 2);
        pool.put(null);
        assertEquals(1, pool.idleCount(), "API.md: put(null) does nothing");
        assertEquals(0, pool.droppedCount(), "API.md: put(null) does nothing");
    }

    @Test
    void aSecondPutOfTheSameReferenceDoesNothing() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = get(pool, AllocationStrategy.ALWAYS);
        put(pool, m);
        put(pool, m);
        assertEquals(1, pool.idleCount(), "API.md: put on a dead reference does nothing");
        assertEquals(0, pool.droppedCount(), "API.md: put on a dead reference does nothing");
        assertNotNull(pool.get(AllocationStrategy.POOL_ONLY), "the storage is in the pool once");
        assertNull(pool.get(AllocationStrategy.POOL_ONLY), "... and only once");
    }

    @Test
    void closeReturnsThePooledStorageToItsPoolAndEndsTheLease() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = get(pool, AllocationStrategy.ALWAYS);
        m.channel(9).body().append(new byte[] {1, 2, 3});
        m.close();
        assertEquals(1, pool.idleCount(), "API.md: close() returns it to its pool");
        assertFalse(m.isLive(), "API.md: close() ends the lease");
        m.close();
        assertEquals(1, pool.idleCount(), "API.md: a second close() does nothing");
        Message again = get(pool, AllocationStrategy.POOL_ONLY);
        MessageTest.assertIsReset(again, "after close() and get");
    }

    @Test
    void tryWithResourcesReturnsTheMessageToThePool() {
        MessagePool pool = new MessagePool(0, 4);
        Message held;
        try (Message m = get(pool, AllocationStrategy.ALWAYS)) {
            held = m;
            m.opCode(OpCode.SIGNAL);
        }
        assertFalse(held.isLive(), "API.md: close() == put() unless posted");
        assertEquals(1, pool.idleCount(), "API.md: close() == put() unless posted");
    }

    @Test
    void aForeignMessagePutOnceReturnsToThatPoolOnClose() {
        MessagePool pool = new MessagePool(0, 4);
        Message own = new Message();
        MessageStore storage = ACCESS.store(own);
        put(pool, own);
        Message m = get(pool, AllocationStrategy.POOL_ONLY);
        assertSame(storage, ACCESS.store(m), "PROTOCOL.md §6.2: any message may be put; that is how apps grow the pool");
        m.close();
        assertEquals(1, pool.idleCount(), "API.md: close() returns it to its pool");
    }

    @Test
    void closeOnAMessageOfNoPoolEndsItsLease() {
        Message m = MessageTest.dirty(new Message());
        m.close();
        assertFalse(m.isLive(), "Message.close(): the lease ends; the storage is left to the garbage collector");
    }

    @Test
    void putAndCloseAfterPostDoNothingAndLeaveTheEnginesStorageAlone() {
        MessagePool pool = new MessagePool(0, 4);
        Message m = get(pool, AllocationStrategy.ALWAYS);
        m.opCode(OpCode.SIGNAL).channel(4);
        MessageStore engines = postSimulated(m);
        put(pool, m);
        m.close();
        assertEquals(Owner.ENGINE, engines.owner(), "API.md: put and close() on a posted message are no-ops");
        assertEquals(0, pool.idleCount(), "API.md: put and close() on a posted message are no-ops");
        assertSame(OpCode.SIGNAL, engines.opCode(), "the engine's message is left untouched");
        assertEquals(4, engines.channel(), "the engine's message is left untouched");
    }

    @Test
    void tryWithResourcesAroundAPostIsSafe() {
        MessagePool pool = new MessagePool(0, 4);
        MessageStore posted;
        try (Message m = get(pool, AllocationStrategy.ALWAYS)) {
            m.opCode(OpCode.REQUEST).channel(1);
            posted = postSimulated(m);
        }
        assertEquals(Owner.ENGINE, posted.owner(), "API.md: try (Message m = …) { post(m); } is always safe");
        assertEquals(0, pool.idleCount(), "API.md: close() after post is a no-op");
    }

    @Test
    void recycleTakesEngineStorageBackFullyCleared() {
        MessagePool pool = new MessagePool(0, 4);
        MessageStore s = postSimulated(MessageTest.dirty(get(pool, AllocationStrategy.ALWAYS)));
        s.setTag(77);
        pool.recycle(s);
        assertEquals(Owner.POOL, s.owner(), "PROTOCOL.md §6.2: the engine puts every written message back");
        Message again = get(pool, AllocationStrategy.POOL_ONLY);
        MessageTest.assertIsReset(again, "after recycle and get");
        assertEquals(0, ACCESS.store(again).tag(), "PROTOCOL.md §6.2: put() clears everything, engine bookkeeping too");
    }

    @Test
    void recycleIgnoresStorageTheEngineDoesNotHold() {
        MessagePool pool = new MessagePool(0, 4);
        Message app = get(pool, AllocationStrategy.ALWAYS).channel(3);
        pool.recycle(ACCESS.store(app));
        pool.recycle(null);
        assertTrue(app.isLive(), "API.md: recycle takes only the engine's storage");
        assertEquals(3, app.channel(), "the application's message is untouched");
        assertEquals(0, pool.idleCount(), "recycle of an application or null message keeps nothing");
    }

    @Test
    void ofTwoHandOversOfOneReferenceExactlyOneGetsTheStorage() {
        Message m = new Message();
        assertNotNull(ACCESS.release(m), "the first hand-over gets the storage");
        assertNull(ACCESS.release(m), "API.md: owned by exactly one: a second hand-over gets nothing");
    }

    @Test
    void aFailedHandOverLeavesTheReferenceLive() {
        Message m = new Message().channel(5);
        MessageStore s = ACCESS.release(m);
        ACCESS.restore(m, s); // what post does when nothing took the message
        assertTrue(m.isLive(), "API.md: a post that throws leaves the message with the caller");
        assertEquals(5, m.channel(), "... unchanged");
    }

    private static Message get(MessagePool pool, AllocationStrategy strategy) {
        MessageStore s = pool.get(strategy);
        return s == null ? null : ACCESS.lease(s);
    }

    private static void put(MessagePool pool, Message m) {
        pool.put(ACCESS.release(m));
    }

    /** What post does first: end the lease and give the storage to the engine. */
    private static MessageStore postSimulated(Message m) {
        MessageStore s = ACCESS.release(m);
        assertNotNull(s, "the reference was live before post");
        s.setOwner(Owner.ENGINE);
        return s;
    }
}
