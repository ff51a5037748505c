package dev.tofu.stress.soak;

import dev.tofu.Address;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.stress.load.Stats;
import dev.tofu.stress.load.Workload;
import dev.tofu.stress.sys.Transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One stretch of mixed load with faults: a shared client reactor, the lanes (per transport: two
 * pingpong, two pipeline, one stream, two churn), and the fault injector, which waits a random
 * (exponential) time, takes the next fault from a shuffled bag holding each kind once, and injects
 * it: lane faults are left with a random eligible lane, the others run as jobs (at most
 * {@value #MAX_JOBS} at once; a fault with no free slot or a busy lane counts as skipped). All
 * randomness comes from one seeded {@link Random}, printed so a run can be replayed (thread timing
 * aside).
 *
 * <p>Threads: {@link #start} and {@link #stop} from the control thread; each lane, the injector and
 * each job on a virtual thread of its own. {@code stop} ends the injector first, then the lanes
 * (they finish their session gracefully), then waits for the jobs, then closes the reactor.
 */
final class Phase {
    private static final int MAX_JOBS = 4;

    final String name;
    final Map<String, Tally> tallies = new LinkedHashMap<>();
    final Map<FaultKind, FaultTally> faults = new EnumMap<>(FaultKind.class);
    final Stats checks = new Stats();
    private final Map<Transport, Address> targets;
    private final boolean withFaults;
    private final double faultMeanMillis;
    private final Random rnd;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Lane> lanes = new ArrayList<>();
    private final List<Thread> laneThreads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Thread> jobs = new ConcurrentLinkedQueue<>();
    private final Semaphore jobSlots = new Semaphore(MAX_JOBS);
    private Reactor client;
    private Thread injector;
    private FaultJobs jobRunner;

    Phase(String name, Map<Transport, Address> targets, long seed, boolean withFaults, double faultMeanMillis) {
        this.name = name;
        this.targets = targets;
        this.withFaults = withFaults;
        this.faultMeanMillis = faultMeanMillis;
        this.rnd = new Random(seed);
        for (String k : List.of("pingpong", "pipeline", "stream", "churn", "burst", "reactor-close")) {
            tallies.put(k, new Tally(k));
        }
        for (FaultKind k : FaultKind.values()) {
            faults.put(k, new FaultTally(k));
        }
    }

    void start() {
        client = Reactor.create(Options.of(2048, 65535).withReceiveQueueCapacity(256));
        jobRunner = new FaultJobs(targets, client.ampe(), faults, tallies.get("reactor-close"), tallies.get("burst"), checks);
        int index = 0;
        for (Transport t : targets.keySet()) {
            for (Workload w : List.of(Workload.PINGPONG, Workload.PINGPONG, Workload.PIPELINE, Workload.PIPELINE,
                    Workload.STREAM, Workload.CHURN, Workload.CHURN)) {
                lanes.add(new Lane(w, t, index++, targets.get(t), client.ampe(), tallies.get(w.label()), faults,
                        rnd.nextLong(), stop));
            }
        }
        for (Lane l : lanes) {
            laneThreads.add(Thread.ofVirtual().name("soak-" + l.name()).start(l));
        }
        if (withFaults) {
            long injectorSeed = rnd.nextLong();
            injector = Thread.ofVirtual().name("soak-injector").start(() -> inject(new Random(injectorSeed)));
        }
    }

    private void inject(Random r) {
        List<FaultKind> bag = new ArrayList<>();
        while (!stop.get()) {
            long wait = (long) (-Math.log(1 - r.nextDouble()) * faultMeanMillis);
            long end = System.nanoTime() + wait * 1_000_000L;
            try {
                while (!stop.get() && System.nanoTime() < end) {
                    Thread.sleep(Math.max(1, Math.min(50, (end - System.nanoTime()) / 1_000_000L))); // the random gap between faults
                }
            } catch (InterruptedException e) {
                return;
            }
            if (stop.get()) {
                return;
            }
            if (bag.isEmpty()) {
                bag.addAll(List.of(FaultKind.values()));
                Collections.shuffle(bag, r);
            }
            FaultKind k = bag.remove(bag.size() - 1);
            long seed = r.nextLong();
            switch (k) {
                case CLIENT_BYE_SIGNAL -> aim(k, r, Workload.PINGPONG, Workload.PIPELINE, Workload.STREAM);
                case SERVER_BYE_SIGNAL -> aim(k, r, Workload.PIPELINE, Workload.STREAM);
                default -> {
                    if (!jobSlots.tryAcquire()) {
                        faults.get(k).skipped.increment();
                        continue;
                    }
                    jobs.add(Thread.ofVirtual().name("soak-fault-" + k.name().toLowerCase(java.util.Locale.ROOT)).start(() -> {
                        try {
                            jobRunner.run(k, seed);
                        } finally {
                            jobSlots.release();
                        }
                    }));
                }
            }
        }
    }

    private void aim(FaultKind k, Random r, Workload... kinds) {
        List<Lane> eligible = lanes.stream().filter(l -> List.of(kinds).contains(l.kind)).toList();
        Lane l = eligible.get(r.nextInt(eligible.size()));
        if (!l.pending.compareAndSet(null, k)) {
            faults.get(k).skipped.increment();
        }
    }

    /** Stops everything, waiting (bounded) for every thread of the phase; what does not end is a problem. */
    void stop() throws InterruptedException {
        stop.set(true);
        if (injector != null && !injector.join(Duration.ofSeconds(10))) {
            checks.problem(name + ": the fault injector did not stop within 10 s");
        }
        for (Thread t : laneThreads) {
            if (!t.join(Duration.ofSeconds(60))) {
                checks.problem(name + ": " + t.getName() + " did not stop within 60 s");
            }
        }
        for (Thread t : jobs) {
            if (!t.join(Duration.ofSeconds(60))) {
                checks.problem(name + ": " + t.getName() + " did not end within 60 s");
            }
        }
        for (Lane l : lanes) {
            FaultKind left = l.pending.getAndSet(null);
            if (left != null) {
                faults.get(left).skipped.increment(); // the lane's session ended before it could carry it out
            }
        }
        client.close();
    }

    /** Messages echoed so far in this phase. */
    long messages() {
        return tallies.values().stream().mapToLong(t -> t.stats.allMsgs.sum()).sum();
    }

    long faultsInjected() {
        return faults.values().stream().mapToLong(f -> f.injected.sum()).sum();
    }

    long errors() {
        return tallies.values().stream().mapToLong(t -> t.stats.errors()).sum() + checks.problems().size();
    }

    boolean ok() {
        return tallies.values().stream().allMatch(Tally::ok) && checks.problems().isEmpty();
    }
}
