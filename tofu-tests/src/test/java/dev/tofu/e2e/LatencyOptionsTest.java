package dev.tofu.e2e;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.internal.engine.GroupQueue;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The options for latency-bound users: Options.withIoThreadFactory (the channels' jobs on the
 * caller's threads), Options.withReceiveSpin (a platform consumer spins before it parks) and
 * Options.withReadSpin (a channel's reader spins before it parks). All
 * change where the engine waits, never what it delivers: the same frames, in the same order, and
 * every thread ends with its channel.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class LatencyOptionsTest {

    /** A factory of platform daemon threads that remembers every thread it made. */
    private static final class RecordingFactory implements ThreadFactory {
        final List<Thread> made = new CopyOnWriteArrayList<>();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = Thread.ofPlatform().daemon().unstarted(r);
            made.add(t);
            return t;
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void everyChannelJobRunsOnAThreadOfTheIoThreadFactoryAndEndsWithTheReactor(Transport transport) throws Exception {
        RecordingFactory factory = new RecordingFactory();
        try (Reactor reactor = Reactor.create(Options.of(64, 256).withIoThreadFactory(factory)
                .withDirectWrite(true).withReceiveSpin(Duration.ofNanos(50_000)))) {
            roundTripsThenClose(reactor, transport, 200);
            // listener accept, client connect/write and read, server read and write
            assertTrue(factory.made.size() >= 5, "every channel job on a factory thread: " + factory.made);
            for (Thread t : factory.made) {
                assertFalse(t.isVirtual(), t + " came from the factory");
                assertTrue(t.getName().startsWith("tofu-ch-"), "the engine names the factory's threads: " + t.getName());
            }
            NoLeaks.assertAtRest(reactor);
        }
        for (Thread t : factory.made) {
            assertTrue(t.join(Wire.WAIT), t.getName() + " still alive after the reactor closed");
        }
    }

    /** Opens a channel over {@code transport}, makes {@code rounds} checked round trips on it, closes it and the listener. */
    private static void roundTripsThenClose(Reactor reactor, Transport transport, int rounds) throws Exception {
        Ampe ampe = reactor.ampe();
        ChannelGroup server = ampe.create();
        ChannelGroup client = ampe.create();
        Wire.Listener l = Wire.listen(ampe, server, transport.serverAddress());
        int ch = Wire.hello(ampe, client, l.clientAddress()).channel();
        Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
        int sch = hello.channel();
        hello.opCode(OpCode.HELLO_RESPONSE);
        server.post(hello);
        Wire.await(client, m -> m.opCode() == OpCode.HELLO_RESPONSE).close();
        for (long id = 1; id <= rounds; id++) {
            Wire.send(ampe, client, ch, OpCode.REQUEST, id, "ping");
            Message req = Wire.await(server, m -> m.opCode() == OpCode.REQUEST);
            assertEquals(id, req.messageId(), "§6.8: requests arrive in post order");
            req.opCode(OpCode.RESPONSE);
            server.post(req);
            Message resp = Wire.await(client, m -> m.opCode() == OpCode.RESPONSE);
            assertEquals(id, resp.messageId(), "the response to request " + id);
            resp.close();
        }
        Wire.send(ampe, client, ch, OpCode.BYE_SIGNAL, 0, null);
        Wire.await(client, m -> Wire.isCloseSignal(m, ch)).close();
        Wire.await(server, m -> Wire.isCloseSignal(m, sch)).close();
        Wire.send(ampe, server, l.channel(), OpCode.BYE_SIGNAL, 0, null);
        Wire.await(server, m -> Wire.isCloseSignal(m, l.channel())).close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void readersThatSpinBeforeTheyParkDeliverEveryReplyInOrder(Transport transport) throws Exception {
        try (Reactor reactor = Reactor.create(Options.of(64, 256))) {
            assertEquals(Options.DEFAULT_READ_SPIN, Options.of(64, 256).readSpin(), "spinning readers by default");
            roundTripsThenClose(reactor, transport, 2_000);
            NoLeaks.assertAtRest(reactor);
        }
        try (Reactor reactor = Reactor.create(Options.of(64, 256).withReadSpin(Duration.ZERO))) {
            roundTripsThenClose(reactor, transport, 2_000);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void readSpinAcceptsZeroUpToOneMillisecondAndNothingElse() {
        assertEquals(Duration.ofNanos(50_000), Options.DEFAULT.readSpin(), "50 µs by default");
        assertEquals(Duration.ZERO, Options.DEFAULT.withReadSpin(Duration.ZERO).readSpin());
        assertEquals(Options.MAX_READ_SPIN, Options.DEFAULT.withReadSpin(Options.MAX_READ_SPIN).readSpin());
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withReadSpin(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withReadSpin(Options.MAX_READ_SPIN.plusNanos(1)));
        assertThrows(NullPointerException.class, () -> Options.DEFAULT.withReadSpin(null));
        assertNotEquals(Options.DEFAULT, Options.DEFAULT.withReadSpin(Duration.ZERO));
        assertEquals(Options.DEFAULT, Options.DEFAULT.withReadSpin(Duration.ZERO).withReadSpin(Options.DEFAULT_READ_SPIN));
        assertTrue(Options.DEFAULT.withReadSpin(Duration.ZERO).toString().contains("readSpin=PT0S"));
    }

    @Test
    void aFactoryThatMakesNoThreadClosesTheChannelAndReturnsTheHelloRequest() {
        try (Reactor reactor = Reactor.create(Options.of(16, 64).withIoThreadFactory(r -> null))) {
            Ampe ampe = reactor.ampe();
            ChannelGroup client = ampe.create();
            // the connector job never runs, so nothing ever connects to this address
            int ch = Wire.hello(ampe, client, dev.tofu.Address.tcpClient("127.0.0.1", 9)).channel();
            List<Message> got = Wire.collectUntil(client, m -> Wire.isCloseSignal(m, ch));
            assertEquals(2, got.size(), "§5.6: the unsent HelloRequest, then the close Signal: " + got);
            Message back = got.get(0);
            assertEquals(OpCode.HELLO_REQUEST, back.opCode(), "§5.6: the unsent message comes back");
            assertEquals(Origin.ENGINE, back.origin());
            assertNotEquals(Status.SUCCESS, back.status(), "returned with the close reason");
            got.forEach(Message::close);
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void receiveSpinAcceptsZeroUpToOneMillisecondAndNothingElse() {
        assertEquals(Duration.ZERO, Options.DEFAULT.receiveSpin(), "no spin by default");
        assertNull(Options.DEFAULT.ioThreadFactory(), "virtual threads by default");
        assertEquals(Duration.ofNanos(50_000), Options.DEFAULT.withReceiveSpin(Duration.ofNanos(50_000)).receiveSpin());
        assertEquals(Options.MAX_RECEIVE_SPIN, Options.DEFAULT.withReceiveSpin(Options.MAX_RECEIVE_SPIN).receiveSpin());
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withReceiveSpin(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class,
                () -> Options.DEFAULT.withReceiveSpin(Options.MAX_RECEIVE_SPIN.plusNanos(1)));
        assertThrows(NullPointerException.class, () -> Options.DEFAULT.withReceiveSpin(null));
        assertNotEquals(Options.DEFAULT, Options.DEFAULT.withReceiveSpin(Duration.ofNanos(1)));
        ThreadFactory f = Thread.ofPlatform().factory();
        assertEquals(Options.DEFAULT.withIoThreadFactory(f), Options.DEFAULT.withIoThreadFactory(f));
        assertEquals(Options.DEFAULT, Options.DEFAULT.withIoThreadFactory(f).withIoThreadFactory(null));
    }

    @Test
    void aSpinningPlatformConsumerMissesNothingAndKeepsOrder() throws Exception {
        GroupQueue q = new GroupQueue(8, TimeUnit.MICROSECONDS.toNanos(200));
        int rounds = 5_000;
        AtomicReference<String> error = new AtomicReference<>();
        Thread consumer = Thread.ofPlatform().name("spinning-consumer").start(() -> {
            for (long expected = 0; expected < rounds; expected++) {
                dev.tofu.internal.message.MessageStore m = q.take(TimeUnit.SECONDS.toNanos(10));
                if (m == null || m.messageId() != expected) {
                    error.set("round " + expected + ": got " + m);
                    return;
                }
            }
        });
        Random rnd = new Random(3);
        for (long id = 0; id < rounds; id++) {
            int spins = rnd.nextInt(2_000); // sometimes within the consumer's spin, sometimes after it
            for (int s = 0; s < spins; s++) {
                Thread.onSpinWait();
            }
            assertTrue(q.putFrame(dev.tofu.testing.Stores.store(new Message().messageId(id))));
        }
        assertTrue(consumer.join(Duration.ofSeconds(50)), "consumer stuck");
        assertNull(error.get());
    }

    @Test
    void aSpinLongerThanTheTimeoutStillReturnsNullOnTime() throws Exception {
        GroupQueue q = new GroupQueue(8, TimeUnit.MILLISECONDS.toNanos(1));
        long timeout = TimeUnit.MICROSECONDS.toNanos(300);
        AtomicReference<Long> took = new AtomicReference<>();
        Thread consumer = Thread.ofPlatform().start(() -> {
            long t0 = System.nanoTime();
            dev.tofu.internal.message.MessageStore m = q.take(timeout);
            took.set(m == null ? System.nanoTime() - t0 : -1L);
        });
        assertTrue(consumer.join(Wire.WAIT));
        assertTrue(took.get() >= timeout, "returned early or got a message: " + took.get());
        assertTrue(took.get() < timeout + TimeUnit.MILLISECONDS.toNanos(150), "returned late: " + took.get() + " ns");
    }
}
