package dev.tofu.recipes;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;

/**
 * Recipe R17: one group, one thread, several listeners (for example TCP and UDS). Listeners start
 * one by one; messages that arrive meanwhile and belong to no listener are buffered and handed to
 * the {@link Services} first. Then one loop: {@code receiver_update} → stop; any message on a
 * listener channel → that listener failed → stop; everything else → {@link Services#onMessage}.
 */
public final class MultiHomedServer implements AutoCloseable {
    private static final Duration START_WAIT = Duration.ofSeconds(10);

    private final Ampe ampe;
    private final Services services;
    private final ChannelGroup group;
    private final Set<Integer> listeners = new HashSet<>();          // only the server thread reads it after start
    private final List<Address> boundTo = new ArrayList<>();
    private final Queue<Message> buffered = new ArrayDeque<>();
    private volatile String stopReason;
    private Thread thread;

    /** Creates the server's group; nothing listens before {@link #start}. */
    public MultiHomedServer(Ampe ampe, Services services) {
        this.ampe = ampe;
        this.services = services;
        this.group = ampe.create();
    }

    /** The server's group (to wake it or inject messages with updateReceiver). */
    public ChannelGroup group() {
        return group;
    }

    /**
     * Starts one listener per address, in order, then the server thread. On a listener failure
     * the group is destroyed and the failure thrown.
     *
     * @return the client addresses that reach the listeners (from {@code ~bound_to}), in order
     */
    public List<Address> start(Address... listenOn) {
        for (Address address : listenOn) {
            Message welcome = ampe.get(AllocationStrategy.ALWAYS);
            address.format(welcome);
            int ch = group.post(welcome).channel();
            Message reply = awaitListener(ch);
            Status status = reply.status();
            String bound = reply.headers().get(Address.BOUND_TO);
            ampe.put(reply);
            if (status != Status.SUCCESS) {
                buffered.forEach(ampe::put);
                ampe.destroy(group);
                throw new TofuException(status, "listener " + address.value() + " failed");
            }
            listeners.add(ch);
            boundTo.add(Address.parse(bound));
        }
        services.start(ampe, group);
        thread = Thread.ofVirtual().name("multi-homed-server").start(this::run);
        return List.copyOf(boundTo);
    }

    /** Channel numbers of the listeners. */
    public Set<Integer> listenerChannels() {
        return Set.copyOf(listeners);
    }

    /** Why the loop ended ("receiver_update", "listener N failed", "services"), or null while running. */
    public String stopReason() {
        return stopReason;
    }

    /** Waits up to {@code timeout} for the loop to end by itself; returns whether it ended. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }

    /** stop(): updateReceiver(null), join the thread, destroy the group. */
    public void stop() throws InterruptedException {
        try {
            group.updateReceiver(null);
        } catch (TofuException alreadyGone) {
            // the group is destroyed already: nothing to wake
        }
        if (thread != null) {
            thread.join();
        }
        ampe.destroy(group);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private Message awaitListener(int ch) {
        while (true) {
            Message m = group.waitReceive(START_WAIT);
            if (m == null) {
                throw new TofuException(Status.LISTEN_FAILED, "no WelcomeResponse for listener " + ch);
            }
            if (m.channel() == ch && m.opCode() == OpCode.WELCOME_RESPONSE) {
                return m;
            }
            buffered.add(m);                                          // not ours: keep it for later
        }
    }

    private void run() {
        try {
            Message m;
            while ((m = buffered.poll()) != null) {
                if (!dispatch(m)) {
                    return;
                }
            }
            while (dispatch(group.waitReceive(ChannelGroup.INFINITE))) {
                // one message per turn
            }
        } catch (TofuException e) {                                   // group destroyed / engine closed
            stopReason = "shutdown: " + e.status();
        } finally {
            buffered.forEach(ampe::put);
            buffered.clear();
            services.stop();
        }
    }

    private boolean dispatch(Message m) {
        if (m.status() == Status.RECEIVER_UPDATE) {
            ampe.put(m);
            stopReason = "receiver_update";
            return false;
        }
        if (listeners.contains(m.channel())) {
            stopReason = "listener " + m.channel() + " failed: " + m;
            ampe.put(m);
            return false;
        }
        if (!services.onMessage(m)) {
            stopReason = "services";
            return false;
        }
        return true;
    }
}
