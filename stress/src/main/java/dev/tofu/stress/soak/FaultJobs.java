package dev.tofu.stress.soak;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.stress.load.Flow;
import dev.tofu.stress.load.Stats;
import dev.tofu.stress.load.Workload;
import dev.tofu.stress.sys.Reply;
import dev.tofu.stress.sys.TofuConnection;
import dev.tofu.stress.sys.Transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The faults that run as jobs of their own (each on its own virtual thread, started by the
 * injector): a client reactor closed with messages in flight, raw non-tofu sockets at the server's
 * listeners, a burst of connects. Each job owns what it opens and closes it before it returns.
 *
 * <p>Threads: any number of jobs at once; they share only the thread-safe tallies and
 * {@code checks} (problems found by the raw-socket checks).
 */
final class FaultJobs {
    private static final Duration JOIN = Duration.ofSeconds(20);

    private final Map<Transport, Address> targets;
    private final List<Transport> transports;
    private final Ampe sharedClient;
    private final Map<FaultKind, FaultTally> faults;
    private final Tally doomedTally;
    private final Tally burstTally;
    private final Stats checks;

    FaultJobs(Map<Transport, Address> targets, Ampe sharedClient, Map<FaultKind, FaultTally> faults, Tally doomedTally,
              Tally burstTally, Stats checks) {
        this.targets = targets;
        this.transports = List.copyOf(targets.keySet());
        this.sharedClient = sharedClient;
        this.faults = faults;
        this.doomedTally = doomedTally;
        this.burstTally = burstTally;
        this.checks = checks;
    }

    void run(FaultKind kind, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try {
            switch (kind) {
                case CLIENT_REACTOR_CLOSE -> reactorClose(rnd);
                case CONNECT_BURST -> burst(rnd);
                case RAW_GARBAGE, RAW_HALF_HEADER, RAW_BAD_OPCODE, RAW_CONNECT_LEAVE -> raw(kind, rnd);
                default -> throw new IllegalArgumentException(kind + " is carried out by a lane");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            checks.problem(kind.label + ": job failed: " + e);
        }
    }

    // ---- a client reactor closed with messages in flight ---------------------------------------

    private void reactorClose(SplittableRandom rnd) throws InterruptedException {
        FaultTally ft = faults.get(FaultKind.CLIENT_REACTOR_CLOSE);
        Reactor reactor = Reactor.create(Options.of(256, 8192).withReceiveQueueCapacity(256));
        AtomicBoolean doomed = new AtomicBoolean();
        CountDownLatch warmed = new CountDownLatch(transports.size());
        List<Thread> drivers = new ArrayList<>();
        for (Transport t : transports) {
            int window = 8 + rnd.nextInt(57);
            int size = 16 + rnd.nextInt(2033);
            long want = 1 + rnd.nextInt(2000);
            long seed = rnd.nextLong();
            drivers.add(Thread.ofVirtual().name("soak-doomed-" + t.label()).start(() ->
                    doomedDriver(reactor.ampe(), targets.get(t), window, size, want, seed, doomed, warmed, ft)));
        }
        warmed.await(10, TimeUnit.SECONDS); // each driver echoed its quota (or failed): close mid-pipeline
        doomed.set(true);
        reactor.close();
        ft.injected.increment();
        ft.extra.add(drivers.size());
        for (Thread d : drivers) {
            if (!d.join(JOIN)) {
                doomedTally.stats.connectionErrors.increment();
                doomedTally.stats.problem(d.getName() + ": still running 20 s after its reactor closed");
            }
        }
    }

    private void doomedDriver(Ampe ampe, Address target, int window, int size, long want, long seed,
                              AtomicBoolean doomed, CountDownLatch warmed, FaultTally ft) {
        String who = "reactor-close/" + target.value();
        TofuConnection c;
        try {
            c = TofuConnection.open(ampe, target);
            doomedTally.stats.connects.increment();
        } catch (IOException | RuntimeException e) {
            warmed.countDown();
            if (!doomed.get()) {
                doomedTally.stats.connectionErrors.increment();
                doomedTally.stats.problem(who + ": connect failed: " + e);
            }
            return;
        }
        Flow f = new Flow(doomedTally.stats, Lane.spec(Workload.PIPELINE, window, size, 0), seed, who);
        Reply r = f.reply();
        boolean counted = false;
        try {
            long lastReply = System.nanoTime();
            while (true) {
                while (f.inFlight() < window) {
                    Lane.send(c, f, doomedTally);
                }
                if (c.receive(r, Lane.RECEIVE_NANOS)) {
                    Lane.accept(f, r);
                    lastReply = System.nanoTime();
                } else if (System.nanoTime() - lastReply > Lane.STALL_NANOS) {
                    throw new Lane.Stalled("no reply for 30 s with " + f.inFlight() + " in flight");
                }
                if (!counted && f.echoedCount() >= want) {
                    counted = true;
                    warmed.countDown();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!counted) {
                warmed.countDown();
            }
            c.abort();
            if (doomed.get() && !(e instanceof Lane.Stalled)) {
                int cut = f.endCut(doomedTally.cut); // a silent close (§6.9): nothing comes back
                doomedTally.faulted.increment();
                ft.affected.add(cut);
                ft.cut.add(cut);
            } else {
                doomedTally.stats.connectionErrors.increment();
                doomedTally.stats.problem(who + ": connection failed before its reactor closed: " + e);
                f.endLost("connection failed: " + e.getMessage());
            }
        }
    }

    // ---- a burst of connects -------------------------------------------------------------------

    private void burst(SplittableRandom rnd) throws InterruptedException {
        FaultTally ft = faults.get(FaultKind.CONNECT_BURST);
        int n = 16 + rnd.nextInt(49);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Transport t = transports.get(rnd.nextInt(transports.size()));
            int size = 16 + rnd.nextInt(241);
            int exchanges = 1 + rnd.nextInt(3);
            long seed = rnd.nextLong();
            String who = "burst/" + t.label() + "#" + i;
            ts.add(Thread.ofVirtual().name("soak-burst").start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                burstClient(targets.get(t), size, exchanges, seed, who, ft);
            }));
        }
        ft.injected.increment();
        go.countDown();
        for (Thread t : ts) {
            if (!t.join(Duration.ofSeconds(60))) {
                burstTally.stats.connectionErrors.increment();
                burstTally.stats.problem("a burst client still runs after 60 s");
            }
        }
    }

    private void burstClient(Address target, int size, int exchanges, long seed, String who, FaultTally ft) {
        TofuConnection c;
        try {
            c = TofuConnection.open(sharedClient, target);
            burstTally.stats.connects.increment();
            ft.extra.increment();
        } catch (IOException | RuntimeException e) {
            burstTally.stats.connectionErrors.increment();
            burstTally.stats.problem(who + ": connect failed: " + e);
            return;
        }
        Flow f = new Flow(burstTally.stats, Lane.spec(Workload.CHURN, 1, size, exchanges), seed, who);
        Reply r = f.reply();
        try {
            for (int k = 0; k < exchanges; k++) {
                Lane.send(c, f, burstTally);
                long deadline = System.nanoTime() + Lane.STALL_NANOS;
                while (f.inFlight() > 0 && System.nanoTime() < deadline) {
                    if (c.receive(r, Lane.RECEIVE_NANOS)) {
                        Lane.accept(f, r);
                    }
                }
            }
            c.close(x -> Lane.accept(f, x));
            f.endLost("no reply before the connection closed");
        } catch (IOException | RuntimeException e) {
            Lane.drainUntilClosed(c, f);
            c.abort();
            burstTally.stats.connectionErrors.increment();
            burstTally.stats.problem(who + ": connection failed: " + e);
            f.endLost("connection failed: " + e.getMessage());
        }
    }

    // ---- raw sockets at the listeners ------------------------------------------------------------

    private void raw(FaultKind kind, SplittableRandom rnd) throws InterruptedException {
        FaultTally ft = faults.get(kind);
        Transport t = transports.get(rnd.nextInt(transports.size()));
        Address a = targets.get(t);
        SocketAddress sa = a instanceof Address.TcpClient tcp ? new InetSocketAddress(tcp.host(), tcp.port())
                : UnixDomainSocketAddress.of(((Address.UdsClient) a).path());
        boolean reset = t == Transport.TCP && rnd.nextBoolean();
        SocketChannel ch;
        try {
            ch = SocketChannel.open(sa);
        } catch (IOException e) {
            checks.problem(kind.label + ": the " + t.label() + " listener refused a connection: " + e);
            return;
        }
        ft.injected.increment();
        try (ch) {
            switch (kind) {
                case RAW_GARBAGE -> {
                    byte[] junk = new byte[1 + rnd.nextInt(8192)];
                    rnd.nextBytes(junk);
                    ch.write(ByteBuffer.wrap(junk));
                    ft.extra.add(junk.length);
                }
                case RAW_HALF_HEADER -> {
                    byte[] h = header(1 + rnd.nextInt(2), rnd.nextInt(64), rnd.nextInt(64));
                    int n = 1 + rnd.nextInt(15);
                    ch.write(ByteBuffer.wrap(h, 0, n));
                    ft.extra.add(n);
                    dwell(rnd);
                }
                case RAW_BAD_OPCODE -> {
                    ch.write(ByteBuffer.wrap(header(10 + rnd.nextInt(6), 0, 0)));
                    if (closedByPeer(ch)) {
                        ft.extra.increment();
                    } else {
                        checks.problem(kind.label + ": the " + t.label() + " server kept a connection open "
                                + "5 s after a frame with a bad opcode (PROTOCOL.md §1.8)");
                    }
                    reset = false;
                }
                default -> dwell(rnd); // connect and leave
            }
            if (reset) {
                ch.setOption(StandardSocketOptions.SO_LINGER, 0); // close with a reset
            }
        } catch (IOException e) {
            // the server may close first (garbage that decodes as a bad frame): that is its right
        }
    }

    /** A 16-byte binary header: channel 1, the given proto byte, message id 1, lengths as given. */
    private static byte[] header(int proto, int thl, int bl) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.putShort((short) 1).put((byte) proto).put((byte) 0).putLong(1).putShort((short) thl).putShort((short) bl);
        return b.array();
    }

    /** Reads until end of stream or a reset (true), or gives up after 5 s (false). */
    private static boolean closedByPeer(SocketChannel ch) throws InterruptedException {
        AtomicBoolean closed = new AtomicBoolean();
        Thread reader = Thread.ofVirtual().name("soak-raw-reader").start(() -> {
            ByteBuffer b = ByteBuffer.allocate(512);
            try {
                while (ch.read(b) >= 0) {
                    b.clear();
                }
                closed.set(true);
            } catch (IOException e) {
                closed.set(!(e instanceof java.nio.channels.AsynchronousCloseException)); // reset by the server
            }
        });
        if (!reader.join(Duration.ofSeconds(5))) {
            try {
                ch.close(); // wakes the reader
            } catch (IOException ignored) {
                // closing anyway
            }
            reader.join(Duration.ofSeconds(5));
            return false;
        }
        return closed.get();
    }

    private static void dwell(SplittableRandom rnd) throws InterruptedException {
        Thread.sleep(rnd.nextInt(100)); // stay connected a random while: part of the fault, not synchronisation
    }
}
