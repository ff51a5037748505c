package dev.tofu.stress.soak;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.stress.load.Flow;
import dev.tofu.stress.load.LoadSpec;
import dev.tofu.stress.load.Workload;
import dev.tofu.stress.sys.Reply;
import dev.tofu.stress.sys.TofuConnection;
import dev.tofu.stress.sys.TofuEchoServer;
import dev.tofu.stress.sys.Transport;

import java.io.IOException;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One long-lived soak client: session after session on the shared client reactor, each session a
 * fresh tofu channel with a fresh random shape (pingpong, pipeline, stream with {@code more}-linked
 * chunks, or churn: a few round trips), ended gracefully (ByeRequest) unless a fault ends it.
 *
 * <p>Faults aimed at a lane ({@link FaultKind#CLIENT_BYE_SIGNAL}, {@link FaultKind#SERVER_BYE_SIGNAL})
 * are left in {@link #pending} by the injector and carried out by the lane itself at its next turn
 * with messages in flight, so the lane knows which connection a fault hit: only that connection's
 * casualties count as cut; any other failure counts as an error and its messages as lost.
 *
 * <p>Threads: {@link #run} on the lane's own virtual thread; {@link #pending} is set by the
 * injector thread (compare-and-set from null) and taken by the lane.
 */
final class Lane implements Runnable {
    static final long RECEIVE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(15);
    static final long ABORT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(15);
    private static final byte[] TRIGGER = new byte[8];

    final Workload kind;
    final Transport transport;
    final AtomicReference<FaultKind> pending = new AtomicReference<>();
    private final Address target;
    private final Ampe ampe;
    private final Tally tally;
    private final Map<FaultKind, FaultTally> faults;
    private final SplittableRandom rnd;
    private final AtomicBoolean stop;
    private final String name;

    Lane(Workload kind, Transport transport, int index, Address target, Ampe ampe, Tally tally,
         Map<FaultKind, FaultTally> faults, long seed, AtomicBoolean stop) {
        this.kind = kind;
        this.transport = transport;
        this.target = target;
        this.ampe = ampe;
        this.tally = tally;
        this.faults = faults;
        this.rnd = new SplittableRandom(seed);
        this.stop = stop;
        this.name = kind.label() + "/" + transport.label() + "#" + index;
    }

    String name() {
        return name;
    }

    @Override
    public void run() {
        int session = 0;
        while (!stop.get()) {
            LoadSpec spec = nextSpec();
            long limit = kind == Workload.CHURN ? 1 + rnd.nextInt(20) : Long.MAX_VALUE;
            long until = System.nanoTime() + (kind == Workload.CHURN ? STALL_NANOS
                    : TimeUnit.MILLISECONDS.toNanos(500 + rnd.nextInt(5500)));
            long seed = rnd.nextLong();
            TofuConnection c;
            try {
                c = TofuConnection.open(ampe, target);
                tally.stats.connects.increment();
            } catch (IOException | RuntimeException e) {
                if (stop.get()) {
                    return;
                }
                tally.stats.connectionErrors.increment();
                tally.stats.problem(name + ": connect failed: " + e);
                pause();
                continue;
            }
            Flow f = new Flow(tally.stats, spec, seed, name + " session " + session++);
            session(c, f, spec, limit, until);
        }
    }

    private LoadSpec nextSpec() {
        return switch (kind) {
            case PINGPONG -> spec(Workload.PINGPONG, 1, 16 + rnd.nextInt(4081), 0);
            case PIPELINE -> spec(Workload.PIPELINE, 4 + rnd.nextInt(61), 16 + rnd.nextInt(2033), 0);
            case STREAM -> {
                int size = (64 << 10) + rnd.nextInt(960 << 10);
                int chunk = Math.min(size, (16 << 10) + rnd.nextInt(LoadSpec.MAX_CHUNK - (16 << 10) + 1));
                yield new LoadSpec(Workload.STREAM, 1, 2 + rnd.nextInt(5), size, chunk, 0, 0, 0);
            }
            default -> spec(Workload.CHURN, 1, 16 + rnd.nextInt(497), 0);
        };
    }

    static LoadSpec spec(Workload w, int inFlight, int size, int perConnection) {
        return new LoadSpec(w, 1, inFlight, size, size, perConnection, 0, 0);
    }

    /** One connection: pipeline until the session ends, then drain and close gracefully, or carry out a fault. */
    private void session(TofuConnection c, Flow f, LoadSpec spec, long limit, long until) {
        Reply r = f.reply();
        FaultTally ft = null;       // the fault that hit this connection, once it did
        long faultAt = 0;
        long echoed0 = 0;
        long returned0 = 0;
        long affected = 0;          // in flight when the fault hit, plus sent after it
        long sent = 0;
        try {
            long lastReply = System.nanoTime();
            while (ft != null || !stop.get() && sent < limit && System.nanoTime() < until) {
                while (f.inFlight() < spec.inFlight() && (ft != null || sent < limit && !stop.get())) {
                    send(c, f, tally);
                    sent++;
                    if (ft != null) {
                        affected++;
                    }
                }
                if (ft == null && f.inFlight() > 0) {
                    FaultKind p = pending.getAndSet(null);
                    if (p == FaultKind.CLIENT_BYE_SIGNAL) {
                        ft = faults.get(p);
                        ft.injected.increment();
                        affected = f.inFlight();
                        echoed0 = f.echoedCount();
                        returned0 = f.returnedCount();
                        c.byeSignal(x -> accept(f, x)); // echoes before it, then what the engine returns
                        finishFault(ft, f, affected, echoed0, returned0);
                        return;
                    }
                    if (p == FaultKind.SERVER_BYE_SIGNAL) {
                        ft = faults.get(p);
                        ft.injected.increment();
                        affected = f.inFlight();
                        echoed0 = f.echoedCount();
                        returned0 = f.returnedCount();
                        faultAt = System.nanoTime();
                        c.send(TRIGGER, TRIGGER.length, TofuEchoServer.ABORT_REQUEST_ID, false);
                    }
                }
                if (f.inFlight() == 0 && ft == null) {
                    break;
                }
                if (c.receive(r, RECEIVE_NANOS)) {
                    accept(f, r);
                    lastReply = System.nanoTime();
                } else if (System.nanoTime() - lastReply > STALL_NANOS) {
                    throw new Stalled("no reply for 30 s with " + f.inFlight() + " in flight");
                }
                if (ft != null && System.nanoTime() - faultAt > ABORT_WAIT_NANOS) {
                    throw new Stalled("the server did not close the channel within 15 s of the abort request");
                }
            }
            long deadline = System.nanoTime() + DRAIN_NANOS;
            while (f.inFlight() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                if (c.receive(r, Math.min(left, RECEIVE_NANOS))) {
                    accept(f, r);
                }
            }
            c.close(x -> accept(f, x));
            f.endLost("no reply before the connection closed");
        } catch (IOException | RuntimeException e) {
            if (!(e instanceof Stalled)) {
                drainUntilClosed(c, f);
            }
            c.abort();
            if (ft != null && !(e instanceof Stalled)) {
                finishFault(ft, f, affected, echoed0, returned0);
            } else {
                tally.stats.connectionErrors.increment();
                tally.stats.problem(name + ": connection failed: " + e);
                f.endLost("connection failed: " + e.getMessage());
            }
        }
    }

    /** Accounts for what a fault did to this connection's messages; they must add up. */
    private void finishFault(FaultTally ft, Flow f, long affected, long echoed0, long returned0) {
        long echoed = f.echoedCount() - echoed0;
        long returned = f.returnedCount() - returned0;
        int cut = f.endCut(tally.cut);
        tally.faulted.increment();
        ft.affected.add(affected);
        ft.echoed.add(echoed);
        ft.returned.add(returned);
        ft.cut.add(cut);
        if (echoed + returned + cut != affected) {
            tally.stats.problem(name + ": " + ft.kind.label + " affected " + affected + " messages but " + echoed
                    + " echoed + " + returned + " returned + " + cut + " cut");
        }
    }

    /** Sends the flow's next message; a post the library refuses at once is taken back and counted refused. */
    static void send(TofuConnection c, Flow f, Tally tally) throws IOException {
        try {
            f.sendNext(c);
        } catch (IOException | RuntimeException e) {
            f.unsend();
            tally.refused.increment();
            throw e;
        }
    }

    /** Hands a reply to the flow, except the abort trigger, which is no flow message. */
    static void accept(Flow f, Reply r) {
        if (r.messageId != TofuEchoServer.ABORT_REQUEST_ID) {
            f.onReply(r);
        }
    }

    /** After a failure: takes what the engine still delivers (returned messages) up to the close Signal, briefly. */
    static void drainUntilClosed(TofuConnection c, Flow f) {
        Reply r = f.reply();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            while (!c.isClosed() && System.nanoTime() < deadline) {
                if (c.receive(r, RECEIVE_NANOS)) {
                    accept(f, r);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // closed (or the reactor is gone): nothing more will come
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50); // back-off before reconnecting, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A failure no injected fault explains (a stall), even on a connection a fault hit. */
    static final class Stalled extends IOException {
        Stalled(String message) {
            super(message);
        }
    }
}
