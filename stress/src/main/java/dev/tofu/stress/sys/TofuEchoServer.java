package dev.tofu.stress.sys;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.engine.Engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The tofu echo server (PROTOCOL.md R16/R19): one reactor, one listener per address, each listener
 * in its own group served by one virtual thread. The loop answers HelloRequest with HelloResponse,
 * Request with Response (same id, headers, body and {@code more}), Signal with Signal, ByeRequest
 * with ByeResponse; on {@code pool_empty} it adds messages to the pool (R18); every other engine
 * message goes back to the pool. Used embedded by the harness and as the {@code server} subcommand.
 *
 * <p>With server aborts on ({@link #TofuEchoServer(Options, boolean)}, the soak run), a Request
 * whose message id is {@link #ABORT_REQUEST_ID} is not echoed: the server posts it back as a
 * ByeSignal on its channel, closing that server channel abortively while the client pipelines.
 *
 * <p>Threads: {@link #listen} and {@link #close} from the control thread; each group's loop on its
 * own virtual thread.
 */
public final class TofuEchoServer implements AutoCloseable {
    /** The message id of a Request asking a server with aborts on to close its channel with a ByeSignal. */
    public static final long ABORT_REQUEST_ID = 0x7AB0_47ED_5E4F_0001L;

    private final boolean serverAborts;
    private final Reactor reactor;
    private final java.util.concurrent.ThreadFactory loopThreads;
    private final Ampe ampe;
    private final Map<Transport, Address> clientAddresses = new LinkedHashMap<>();
    private final List<ChannelGroup> groups = new ArrayList<>();
    private final List<Thread> loops = new ArrayList<>();
    private final List<Integer> listenerChannels = new ArrayList<>();
    /** Messages echoed (any opcode). */
    public final LongAdder echoed = new LongAdder();
    /** Engine messages seen: close Signals, returned messages, pool_empty. */
    public final LongAdder notices = new LongAdder();
    /** Messages the engine returned unsent (status != 0, not a Signal). */
    public final LongAdder returned = new LongAdder();
    /** Server channels closed with a ByeSignal on a client's request (server aborts on). */
    public final LongAdder aborted = new LongAdder();
    private volatile Throwable failure;

    /** Creates a server with its own reactor; nothing listens until {@link #listen}. */
    public TofuEchoServer(Options options) {
        this(options, false);
    }

    /**
     * Creates a server with its own reactor; with {@code serverAborts}, a Request with message id
     * {@link #ABORT_REQUEST_ID} closes its channel with a ByeSignal instead of being echoed.
     */
    public TofuEchoServer(Options options, boolean serverAborts) {
        this(options, serverAborts, Thread.ofVirtual().factory());
    }

    /** Creates a server whose group loops run on threads made by {@code loopThreads}. */
    public TofuEchoServer(Options options, java.util.concurrent.ThreadFactory loopThreads) {
        this(options, false, loopThreads);
    }

    /** As {@link #TofuEchoServer(Options, boolean)}, with the group loops on threads of {@code loopThreads}. */
    public TofuEchoServer(Options options, boolean serverAborts, java.util.concurrent.ThreadFactory loopThreads) {
        this.reactor = Reactor.create(options);
        this.ampe = reactor.ampe();
        this.serverAborts = serverAborts;
        this.loopThreads = loopThreads;
    }

    /** The default server options: a pool that grows to what the load needs. */
    public static Options defaultOptions() {
        return Options.of(1024, 32768).withReceiveQueueCapacity(4096);
    }

    /**
     * Starts a listener on {@code address} (port 0 / empty UDS path: the engine chooses) and its loop.
     *
     * @return the address clients connect to (from {@code ~bound_to})
     */
    public Address listen(Transport transport, Address address) {
        ChannelGroup g = ampe.create();
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        address.format(m);
        BinaryHeader h = g.post(m);
        Message resp = g.waitReceive(Duration.ofSeconds(10));
        if (resp == null || resp.opCode() != OpCode.WELCOME_RESPONSE || resp.status() != Status.SUCCESS) {
            String what = String.valueOf(resp);
            ampe.put(resp);
            g.close();
            throw new IllegalStateException("listener on " + address.value() + " failed: " + what);
        }
        Address bound = Address.parse(resp.headers().get(Address.BOUND_TO));
        ampe.put(resp);
        groups.add(g);
        listenerChannels.add(h.channel());
        clientAddresses.put(transport, bound);
        Thread t = loopThreads.newThread(() -> loop(g));
        t.setName("tofu-echo-" + transport.label());
        t.start();
        loops.add(t);
        return bound;
    }

    /** Where clients connect, per transport. */
    public Map<Transport, Address> clientAddresses() {
        return clientAddresses;
    }

    /** The server's engine (leak checks). */
    public Engine engine() {
        return (Engine) ampe;
    }

    /** The listeners' channel numbers (their threads are named {@code tofu-ch-<number>-...}). */
    public List<Integer> listenerChannels() {
        return List.copyOf(listenerChannels);
    }

    /** How many listeners are open. */
    public int listeners() {
        return listenerChannels.size();
    }

    /** A failure of a server loop, or null. */
    public Throwable failure() {
        return failure;
    }

    private void loop(ChannelGroup g) {
        try {
            while (serveNext(g)) {
                // one message per call: a loop that never returns is compiled only by on-stack
                // replacement, which falls back to slow code for seconds after an uncommon trap
            }
        } catch (TofuException e) {
            if (e.status() != Status.SHUTDOWN_STARTED) {
                failure = e;
            }
        } catch (Throwable e) {
            failure = e;
        }
    }

    /** Takes one message and echoes it (or counts it); false once the loop must end. */
    private boolean serveNext(ChannelGroup g) {
        Message m = g.waitReceive(ChannelGroup.INFINITE);
        if (m == null) {
            return true;
        }
        if (m.status() == Status.RECEIVER_UPDATE && m.channel() == 0) {
            ampe.put(m); // close(): updateReceiver(null) is an engine-origin Signal (PROTOCOL.md §6.7)
            return false;
        }
        if (m.isFromEngine()) {
            notices.increment();
            Status s = m.status();
            if (s == Status.POOL_EMPTY) {
                for (int i = 0; i < 16; i++) {
                    ampe.put(new Message()); // R18: grow the pool so the starved reader resumes
                }
            } else if (m.opCode() != OpCode.SIGNAL && s != Status.SUCCESS) {
                returned.increment();
            }
            ampe.put(m);
            return true;
        }
        if (serverAborts && m.messageId() == ABORT_REQUEST_ID && m.opCode() == OpCode.REQUEST) {
            m.opCode(OpCode.BYE_SIGNAL).more(false);
            m.body().clear();
            try {
                g.post(m); // comes back with status channel_closed, then the close Signal
                aborted.increment();
            } catch (TofuException e) {
                ampe.put(m);
            }
            return true;
        }
        OpCode reply = switch (m.opCode()) {
            case REQUEST -> OpCode.RESPONSE;
            case SIGNAL -> OpCode.SIGNAL;
            case HELLO_REQUEST -> OpCode.HELLO_RESPONSE;
            case BYE_REQUEST -> OpCode.BYE_RESPONSE;
            default -> null;
        };
        if (reply == null) {
            ampe.put(m);
            return true;
        }
        m.opCode(reply);
        try {
            g.post(m);
            echoed.increment();
        } catch (TofuException e) {
            ampe.put(m); // the channel closed meanwhile: the message stayed with us
        }
        return true;
    }

    /** Stops the loops, closes the listeners and the reactor. */
    @Override
    public void close() {
        for (ChannelGroup g : groups) {
            try {
                g.updateReceiver(null);
            } catch (TofuException ignored) {
                // already gone
            }
        }
        for (Thread t : loops) {
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        reactor.close();
    }
}
