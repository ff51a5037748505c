package dev.tofu.properties;

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
import dev.tofu.internal.engine.Engine;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The engine end to end over loopback TCP, driven by random sequences of client actions with bounded
 * sizes: connect, Request, Signal, a stream of Requests with {@code more}, ByeRequest, ByeSignal, the
 * peer killing its end (a server-side ByeSignal) and {@code updateReceiver} with and without a
 * message. The server side is a scripted application: it answers a HelloRequest with a
 * HelloResponse and a ByeRequest with a ByeResponse (reusing the message) and takes everything else.
 *
 * <p>The property (PROTOCOL.md §2.2, §5.5, §5.6, §6.7): every message the client posted is accounted
 * for exactly once: delivered to the peer (or, for {@code updateReceiver}, to its own receiver) or
 * given back with a non-success status (returned in a close bundle, or refused by {@code post}); every
 * channel ends with exactly one close Signal, and nothing arrives on a channel after it; at the end no
 * channel is open, every pooled message is back and no engine thread is left. A failure shrinks to a
 * short readable list of actions such as {@code [connect, stream 2 with more(#0), ByeSignal(#0)]}.
 *
 * <p>jqwik runs this class, and jqwik does not apply JUnit Jupiter extensions: the class runs the
 * checks of {@link NoLeaks} and {@link PinningGuard} itself from jqwik's container hooks.
 */
class EngineActionSequencesTest {
    /** Longest wait for loopback traffic to settle; short, so that a failing try shrinks quickly. */
    private static final Duration SETTLE = Duration.ofSeconds(4);
    private static PinningGuard.Recorder pinning;
    private World world;

    @BeforeContainer
    static void warmUpThenStartPinningGuard() {
        // One connect/request/close first, unrecorded: the first engine threads of a JVM load the
        // wire classes, and two of them loading the same class at once park inside the class loader,
        // which pins on every JDK (seen here: IoChannel.write -> new FrameWriter). That one-time
        // start-up pin is not what the guard is for; pins in steady state are.
        try (World w = new World()) {
            w.connect();
            w.send(0, OpCode.REQUEST, false);
            w.tearDownAndCheck();
        }
        pinning = new PinningGuard.Recorder(PinningGuard.ENGINE_THREAD_PREFIX);
        pinning.start();
    }

    @AfterContainer
    static void noPinsAndNoThreadsLeft() {
        List<String> pins = pinning.stop();
        assertTrue(pins.isEmpty(), "engine virtual threads pinned their carrier:\n" + String.join("\n", pins));
        assertTrue(NoLeaks.awaitTrue(() -> Engine.liveThreads() == 0, Wire.WAIT),
                "engine threads still alive: " + Engine.liveThreads());
    }

    @AfterTry
    void closeTheReactor() {
        if (world != null) {
            world.close();
            world = null;
        }
    }

    @Property(tries = 40)
    void everyPostedMessageIsAccountedForAndEveryChannelClosesOnce(@ForAll("clientActions") ActionChain<World> chain) {
        chain.withInvariant("nothing inconsistent seen so far", World::noViolation);
        World w = chain.run();
        w.tearDownAndCheck();
    }

    @Provide
    Arbitrary<ActionChain<World>> clientActions() {
        return ActionChain.<World>startWith(() -> world = new World())
                .withAction(2, Action.<World>when(w -> w.channels.size() < 3).just(Transformer.mutate("connect", World::connect)))
                .withAction(3, onChannel("Request", (w, i) -> w.send(i, OpCode.REQUEST, false)))
                .withAction(onChannel("Signal", (w, i) -> w.send(i, OpCode.SIGNAL, false)))
                .withAction(2, stream())
                .withAction(onChannel("ByeRequest", (w, i) -> w.send(i, OpCode.BYE_REQUEST, false)))
                .withAction(onChannel("ByeSignal", (w, i) -> w.send(i, OpCode.BYE_SIGNAL, false)))
                .withAction(onChannel("peer kills its end", World::peerKill))
                .withAction(Action.just(Transformer.mutate("updateReceiver(message)", w -> w.updateReceiver(true))))
                .withAction(Action.just(Transformer.mutate("updateReceiver(null)", w -> w.updateReceiver(false))))
                .withMaxTransformations(12);
    }

    /** An action on one of the client channels opened so far, named by its index (#0 = first). */
    private static Action<World> onChannel(String name, BiConsumer<World, Integer> act) {
        return new Action.Dependent<>() {
            @Override
            public boolean precondition(World w) {
                return !w.channels.isEmpty();
            }

            @Override
            public Arbitrary<Transformer<World>> transformer(World w) {
                return Arbitraries.integers().between(0, w.channels.size() - 1)
                        .map(i -> Transformer.mutate(name + "(#" + i + ")", x -> act.accept(x, i)));
            }
        };
    }

    private static Action<World> stream() {
        return new Action.Dependent<>() {
            @Override
            public boolean precondition(World w) {
                return !w.channels.isEmpty();
            }

            @Override
            public Arbitrary<Transformer<World>> transformer(World w) {
                return Combinators.combine(Arbitraries.integers().between(0, w.channels.size() - 1),
                                Arbitraries.integers().between(1, 3))
                        .as((i, n) -> Transformer.mutate("stream " + n + " with more(#" + i + ")", x -> {
                            for (int k = 0; k < n; k++) {
                                x.send(i, OpCode.REQUEST, true);
                            }
                            x.send(i, OpCode.REQUEST, false);
                        }));
            }
        };
    }

    /** One reactor with a listener, a scripted server group and the client group under test. */
    static final class World implements AutoCloseable {
        final Reactor reactor = Reactor.create(Options.DEFAULT);
        final Ampe ampe = reactor.ampe();
        final Engine engine = (Engine) ampe;
        final ChannelGroup server = ampe.create();
        final ChannelGroup client = ampe.create();
        final Wire.Listener listener = Wire.listen(ampe, server, Wire.Transport.TCP.serverAddress());
        long nextId = 1_000;

        final List<Integer> channels = new ArrayList<>();             // client channels, #0 first
        final Map<Integer, Long> helloIdOf = new HashMap<>();         // client channel -> its HelloRequest id
        final Map<Long, Integer> serverChannelOf = new HashMap<>();   // HelloRequest id -> server channel
        final Set<Integer> connected = new HashSet<>();               // client channels that got a HelloResponse
        final Map<Long, String> posted = new LinkedHashMap<>();       // id -> what the client posted
        final Map<Long, Integer> postedOn = new HashMap<>();          // id -> client channel index (-1: updateReceiver)
        final Set<Integer> abortive = new HashSet<>();                // channel indexes closed abortively (either end)
        final Map<Long, OpCode> postedOp = new HashMap<>();
        final Map<Long, String> outcome = new HashMap<>();            // id -> where it ended
        final Map<Integer, Integer> clientCloses = new HashMap<>();   // channel -> close Signals seen
        final Map<Integer, Integer> serverCloses = new HashMap<>();
        final List<String> violations = new ArrayList<>();
        int nullUpdatesPosted;
        int nullUpdatesSeen;
        boolean listenerClosed;

        // ---- client actions ----------------------------------------------------------------

        void connect() {
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            listener.clientAddress().format(m);
            long id = nextId++;
            m.messageId(id);
            int ch = client.post(m).channel();
            remember(id, "HelloRequest on #" + channels.size(), OpCode.HELLO_REQUEST, channels.size());
            channels.add(ch);
            helloIdOf.put(ch, id);
            pumpUntil(() -> connected.contains(ch) || clientCloses.containsKey(ch), "the HelloResponse on #" + (channels.size() - 1));
        }

        void send(int index, OpCode op, boolean more) {
            int ch = channels.get(index);
            long id = nextId++;
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(op).channel(ch).messageId(id).more(more);
            m.body().append(("m" + id).getBytes(StandardCharsets.UTF_8));
            remember(id, op + (more ? " (more)" : "") + " on #" + index, op, index);
            if (op == OpCode.BYE_SIGNAL) {
                abortive.add(index);
            }
            try {
                client.post(m);
            } catch (TofuException e) {
                record(id, "refused by post: " + e.status());
                expect(m.status() != Status.SUCCESS, "§2.2: a refused post sets the status byte: " + m);
                m.close();
            }
            pump(Duration.ZERO);
        }

        void peerKill(int index) {
            Integer sch = serverChannelOf.get(helloIdOf.get(channels.get(index)));
            if (sch == null || serverCloses.containsKey(sch)) {
                return; // never connected, or the server end is already gone
            }
            abortive.add(index);
            Message m = ampe.get(AllocationStrategy.ALWAYS);
            m.opCode(OpCode.BYE_SIGNAL).channel(sch);
            try {
                server.post(m);
            } catch (TofuException e) {
                m.close(); // the server end closed meanwhile
            }
            pump(Duration.ZERO);
        }

        void updateReceiver(boolean withMessage) {
            if (!withMessage) {
                client.updateReceiver(null);
                nullUpdatesPosted++;
            } else {
                long id = nextId++;
                Message m = ampe.get(AllocationStrategy.ALWAYS);
                m.messageId(id);
                remember(id, "updateReceiver message", null, -1);
                client.updateReceiver(m);
            }
            pump(Duration.ZERO);
        }

        // ---- receiving -----------------------------------------------------------------------

        void pump(Duration wait) {
            Message c = client.waitReceive(Duration.ZERO);
            Message s = server.waitReceive(Duration.ZERO);
            if (c == null && s == null && !wait.isZero()) {
                c = client.waitReceive(wait);
            }
            if (c != null) {
                onClient(c);
            }
            if (s != null) {
                onServer(s);
            }
            if (c != null || s != null) {
                pump(Duration.ZERO);
            }
        }

        void pumpUntil(BooleanSupplier done, String what) {
            long deadline = System.nanoTime() + SETTLE.toNanos();
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    fail("waited " + SETTLE + " for " + what + "; " + summary());
                }
                pump(Duration.ofMillis(1));
            }
        }

        private void onClient(Message m) {
            int ch = m.channel();
            long id = m.messageId();
            if (ch != 0 && clientCloses.containsKey(ch)) {
                violation("§5.6: a message arrived on client channel " + ch + " after its close Signal: " + m);
            }
            if (m.status() == Status.RECEIVER_UPDATE) {
                if (id != 0 && posted.containsKey(id)) {
                    expect(m.origin() == Origin.APPLICATION, "§6.7: an updateReceiver message keeps origin application: " + m);
                    record(id, "delivered to the own receiver");
                } else {
                    nullUpdatesSeen++;
                }
            } else if (m.origin() == Origin.APPLICATION) {
                if (m.opCode() == OpCode.HELLO_RESPONSE) {
                    connected.add(ch);
                } else if (m.opCode() != OpCode.BYE_RESPONSE) {
                    violation("the server sends only HelloResponse and ByeResponse, got " + m);
                }
            } else if (m.status() == Status.POOL_EMPTY) {
                // §6.6: back-pressure notice, nothing to account for
            } else if (m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED && postedOp.get(id) != OpCode.SIGNAL) {
                clientCloses.merge(ch, 1, Integer::sum);
                Long hello = helloIdOf.get(ch);
                expect(hello != null && hello == id, "§5.6: the close Signal carries the channel message id: " + m);
            } else if (posted.containsKey(id)) {
                expect(m.status() != Status.SUCCESS, "§5.6: a returned message carries the close reason: " + m);
                record(id, "returned with " + m.status());
            } else {
                violation("unexpected message on the client: " + m);
            }
            m.close();
        }

        private void onServer(Message m) {
            int ch = m.channel();
            long id = m.messageId();
            if (m.origin() == Origin.APPLICATION) {
                if (posted.containsKey(id)) {
                    record(id, "delivered to the peer");
                } else {
                    violation("the server received a message nobody posted: " + m);
                }
                OpCode reply = m.opCode() == OpCode.HELLO_REQUEST ? OpCode.HELLO_RESPONSE
                        : m.opCode() == OpCode.BYE_REQUEST ? OpCode.BYE_RESPONSE : null;
                if (m.opCode() == OpCode.HELLO_REQUEST) {
                    serverChannelOf.put(id, ch);
                }
                if (reply != null) {
                    m.opCode(reply);
                    try {
                        server.post(m);
                        return;
                    } catch (TofuException e) {
                        // the server end is already closing: the reply stays with us
                    }
                }
            } else if (m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED) {
                if (ch == listener.channel()) {
                    listenerClosed = true;
                } else {
                    serverCloses.merge(ch, 1, Integer::sum);
                }
            }
            m.close();
        }

        // ---- bookkeeping -----------------------------------------------------------------------

        private void remember(long id, String what, OpCode op, int channelIndex) {
            posted.put(id, what);
            postedOp.put(id, op);
            postedOn.put(id, channelIndex);
        }

        private void record(long id, String where) {
            String before = outcome.putIfAbsent(id, where);
            if (before != null) {
                violation(posted.get(id) + " (id " + id + ") ended twice: " + before + ", then " + where);
            }
        }

        private void expect(boolean ok, String what) {
            if (!ok) {
                violation(what);
            }
        }

        private void violation(String what) {
            violations.add(what);
        }

        void noViolation() {
            assertEquals(List.of(), violations, "violations");
        }

        String summary() {
            List<String> open = new ArrayList<>();
            for (Map.Entry<Long, String> e : posted.entrySet()) {
                if (!outcome.containsKey(e.getKey())) {
                    open.add(e.getValue() + " (id " + e.getKey() + ")");
                }
            }
            return "unaccounted: " + open + ", abortive " + abortive + ", client closes " + clientCloses + " of " + channels
                    + ", server closes " + serverCloses + " of " + serverChannelOf.values()
                    + ", open channels " + engine.openChannels() + ", violations " + violations;
        }

        /**
         * Closes every client channel still open gracefully (ByeRequest: everything posted before it
         * must reach the peer), waits until every channel is closed and both queues are drained, then
         * judges. A message neither delivered nor returned is allowed only on a channel that closed
         * abortively (a ByeSignal at either end): the engine may have written it completely into a
         * socket the peer reset (PROTOCOL.md §5.5.2, §5.6: written messages are not acknowledged).
         */
        void tearDownAndCheck() {
            for (int i = 0; i < channels.size(); i++) {
                if (!clientCloses.containsKey(channels.get(i))) {
                    send(i, OpCode.BYE_REQUEST, false);
                }
            }
            pumpUntil(() -> channels.stream().allMatch(clientCloses::containsKey)
                            && serverChannelOf.values().stream().allMatch(serverCloses::containsKey)
                            && engine.openChannels() == 1
                            && nullUpdatesSeen == nullUpdatesPosted
                            && postedOn.entrySet().stream().filter(e -> e.getValue() < 0).allMatch(e -> outcome.containsKey(e.getKey())),
                    "every channel closed");
            Message bye = ampe.get(AllocationStrategy.ALWAYS);
            bye.opCode(OpCode.BYE_SIGNAL).channel(listener.channel());
            server.post(bye);
            pumpUntil(() -> listenerClosed && engine.openChannels() == 0, "the listener's close");
            noViolation();
            List<String> lost = new ArrayList<>();
            for (Map.Entry<Long, String> e : posted.entrySet()) {
                if (!outcome.containsKey(e.getKey()) && !abortive.contains(postedOn.get(e.getKey()))) {
                    lost.add(e.getValue() + " (id " + e.getKey() + ")");
                }
            }
            assertEquals(List.of(), lost, "§5.6: posted on a gracefully closed channel, yet neither delivered nor returned");
            // Every channel has finished (its finisher recycled what it wrote) and both queues are
            // drained, so the pool is whole at once; a short grace only absorbs the last recycle.
            assertTrue(NoLeaks.awaitTrue(() -> engine.pool().outstanding() == 0, Duration.ofMillis(500)),
                    "pooled messages not back (stranded?): " + engine.pool().outstanding() + "; " + summary());
            for (int ch : channels) {
                assertEquals(1, clientCloses.get(ch), "§5.6: exactly one close Signal on client channel " + ch);
            }
            for (Map.Entry<Integer, Integer> e : serverCloses.entrySet()) {
                assertEquals(1, e.getValue(), "§5.6: exactly one close Signal on server channel " + e.getKey());
            }
            assertEquals(nullUpdatesPosted, nullUpdatesSeen, "§6.7: every updateReceiver(null) reached the receiver");
            NoLeaks.assertAtRest(reactor);
        }

        @Override
        public void close() {
            reactor.close();
        }
    }
}
