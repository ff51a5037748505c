package dev.tofu.stress.load;

import dev.tofu.stress.sys.Connection;
import dev.tofu.stress.sys.Reply;
import dev.tofu.stress.sys.SystemUnderTest;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one measurement of one system: starts the driver threads (one per connection, from the
 * system's thread factory), warms up, measures, stops, drains what is in flight, closes, checks the
 * accounting and asks the system for leaks. A watchdog aborts connections that hang, so a broken
 * system ends the run with its messages counted lost instead of hanging the harness.
 */
public final class Runner {
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(15);
    private static final long RECEIVE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int CONNECT_CONCURRENCY = 128;

    private final Progress progress;
    private final long leakWaitMillis;

    public Runner(Progress progress, long leakWaitMillis) {
        this.progress = progress;
        this.leakWaitMillis = leakWaitMillis;
    }

    /** Runs {@code spec} on {@code system} (already started). */
    public Result run(SystemUnderTest system, LoadSpec spec) throws Exception {
        system.prepare(spec.channels(), spec.inFlight(), spec.chunk());
        Stats st = new Stats();
        progress.show(spec.label() + " " + system.label(), st);
        Measured m;
        try {
            m = switch (spec.workload()) {
                case PINGPONG, PIPELINE, STREAM -> steady(system, spec, st);
                case CHURN -> churn(system, spec, st);
                case FANIN -> fanin(system, spec, st);
                case RATE -> rate(system, spec, st);
                case IDLE -> idle(system, spec, st);
            };
        } finally {
            progress.show(null, null);
        }
        List<String> leaks = system.leaks(leakWaitMillis);
        Histogram h = st.latency();
        return new Result(system.label(), spec, st.sent.sum(), st.echoed.sum(), st.returned.sum(), st.lost.sum(),
                st.duplicated.sum(), st.corrupted.sum(), st.connectionErrors.sum(), st.connects.sum(),
                st.measuredMsgs.sum(), st.measuredBytes.sum(), m.seconds, h, m.heapPerChannel,
                m.serverHeapPerChannel, m.allocPerMsg, m.cpuNanos, leaks, st.problems());
    }

    /**
     * What a workload measured besides the counters.
     *
     * @param cpuNanos CPU time of every process involved (both JVMs when the server is forked)
     *                 during the measured interval, ns; NaN when unknown
     */
    private record Measured(double seconds, double heapPerChannel, double serverHeapPerChannel, double allocPerMsg,
                            double cpuNanos) {
    }

    // ---- pingpong, pipeline, stream ----------------------------------------------------------

    private Measured steady(SystemUnderTest system, LoadSpec spec, Stats st) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch connected = new CountDownLatch(spec.channels());
        CountDownLatch go = new CountDownLatch(1);
        List<Connection> conns = new CopyOnWriteArrayList<>();
        List<Thread> drivers = new ArrayList<>();
        ThreadFactory tf = system.driverThreads();
        Semaphore connecting = new Semaphore(CONNECT_CONCURRENCY);
        for (int i = 0; i < spec.channels(); i++) {
            int id = i;
            Thread t = tf.newThread(() -> {
                Connection c = connect(system, st, connecting, id);
                connected.countDown();
                if (c == null) {
                    return;
                }
                conns.add(c);
                await(go);
                Flow f = new Flow(st, spec, 0x5eed_0000L + id, system.label() + " conn " + id);
                drive(c, f, spec, st, stop, Long.MAX_VALUE);
            });
            drivers.add(t);
            t.start();
        }
        if (!connected.await(120, TimeUnit.SECONDS)) {
            st.problem("connections not open within 120 s");
        }
        go.countDown();
        Thread.sleep(spec.warmupMillis());
        st.resetLatency();
        long alloc0 = allocatedBytes();
        long msgs0 = st.measuredMsgs.sum();
        long cpu0 = system.cpuNanos();
        long t0 = System.nanoTime();
        st.measuring = true;
        Thread.sleep(spec.durationMillis());
        st.measuring = false;
        long t1 = System.nanoTime();
        long cpu1 = system.cpuNanos();
        long alloc1 = allocatedBytes();
        stop.set(true);
        finish(drivers, conns, st);
        long msgs = st.measuredMsgs.sum() - msgs0; // exact once every flow has ended and added its counts
        return new Measured((t1 - t0) / 1e9, Double.NaN, Double.NaN, alloc0 < 0 || msgs == 0 ? Double.NaN : (alloc1 - alloc0) / (double) msgs,
                Cpu.between(cpu0, cpu1));
    }

    private static Connection connect(SystemUnderTest system, Stats st, Semaphore connecting, int id) {
        connecting.acquireUninterruptibly();
        try {
            Connection c = system.connect();
            st.connects.increment();
            return c;
        } catch (IOException | RuntimeException e) {
            st.connectionErrors.increment();
            st.problem(system.label() + " conn " + id + ": connect failed: " + e);
            return null;
        } finally {
            connecting.release();
        }
    }

    /**
     * The windowed loop of one connection: keep {@code inFlight} messages out, check each reply;
     * after {@code stop} (or {@code limit} messages) drain, close, and count what never came back.
     */
    private static void drive(Connection c, Flow f, LoadSpec spec, Stats st, AtomicBoolean stop, long limit) {
        Reply r = f.reply();
        try {
            DriveState state = new DriveState();
            while (driveNext(c, f, spec, st, stop, limit, r, state)) {
                // each round a call of its own: a loop this long-running is otherwise compiled only
                // by on-stack replacement, which falls back to slow code for seconds after a trap
            }
            long deadline = System.nanoTime() + DRAIN_NANOS;
            while (f.inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                if (c.receive(r, Math.min(left, RECEIVE_NANOS))) {
                    f.onReply(r);
                }
            }
            c.close(f::onReply);
            f.endLost("no reply before the connection closed");
        } catch (IOException | RuntimeException e) {
            st.connectionErrors.increment();
            st.problem("connection failed: " + e);
            c.abort();
            f.endLost("connection failed: " + e.getMessage());
        }
    }

    /**
     * One round of {@link #drive}: fills the window, then takes one reply.
     *
     * @return false once the loop must end (stopped, limit reached and drained, or stalled)
     */
    private static boolean driveNext(Connection c, Flow f, LoadSpec spec, Stats st, AtomicBoolean stop, long limit,
            Reply r, DriveState state) throws IOException {
        if (stop.get() || state.sent >= limit) {
            return false;
        }
        while (f.inFlight < spec.inFlight() && state.sent < limit && !stop.get()) {
            f.sendNext(c);
            state.sent++;
        }
        if (f.inFlight == 0) {
            return false;
        }
        if (c.receive(r, RECEIVE_NANOS)) {
            f.onReply(r);
            state.quietSince = 0; // no clock read per reply: the harness's own cost is measured with every system
            return true;
        }
        long now = System.nanoTime();
        if (state.quietSince == 0) {
            state.quietSince = now; // the first receive in a row that found nothing
        } else if (now - state.quietSince > STALL_NANOS) {
            st.problem("no reply for 30 s with " + f.inFlight + " in flight");
            return false;
        }
        return true;
    }

    /** What one driver's loop carries from round to round (its own thread only). */
    private static final class DriveState {
        /** Messages sent so far. */
        long sent;
        /** When the receives that found nothing in a row began; 0 after a reply. */
        long quietSince;
    }

    private void finish(List<Thread> drivers, List<Connection> conns, Stats st) throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN_NANOS + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : drivers) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(java.time.Duration.ofNanos(left));
            }
        }
        boolean hung = drivers.stream().anyMatch(Thread::isAlive);
        if (hung) {
            st.problem("drivers still running 45 s after the end: aborting their connections");
            conns.forEach(Connection::abort);
            for (Thread t : drivers) {
                t.join(java.time.Duration.ofSeconds(5));
            }
        }
    }

    // ---- rate --------------------------------------------------------------------------------

    /**
     * The open-loop workload: every channel sends on its own {@link Pacing} schedule (the channels'
     * schedules staggered evenly), one message in flight, whatever the replies do. The schedules
     * start anew when the measured interval starts, so a backlog from the warm-up (a cold JIT) is
     * dropped, not charged to the measurement.
     */
    private Measured rate(SystemUnderTest system, LoadSpec spec, Stats st) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch connected = new CountDownLatch(spec.channels());
        java.util.concurrent.atomic.AtomicLong epoch = new java.util.concurrent.atomic.AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Connection> conns = new CopyOnWriteArrayList<>();
        List<Thread> drivers = new ArrayList<>();
        ThreadFactory tf = system.driverThreads();
        Semaphore connecting = new Semaphore(CONNECT_CONCURRENCY);
        for (int i = 0; i < spec.channels(); i++) {
            int id = i;
            Thread t = tf.newThread(() -> {
                Connection c = connect(system, st, connecting, id);
                connected.countDown();
                if (c == null) {
                    return;
                }
                conns.add(c);
                await(go);
                Flow f = new Flow(st, spec, 0x7a7e_0000L + id, system.label() + " conn " + id);
                pace(c, f, spec, id, epoch, st, stop);
            });
            drivers.add(t);
            t.start();
        }
        if (!connected.await(120, TimeUnit.SECONDS)) {
            st.problem("connections not open within 120 s");
        }
        epoch.set(System.nanoTime() + 1_000_000);
        go.countDown();
        Thread.sleep(spec.warmupMillis());
        st.resetLatency();
        long msgs0 = st.measuredMsgs.sum();
        long alloc0 = allocatedBytes();
        long cpu0 = system.cpuNanos();
        long t0 = System.nanoTime();
        epoch.set(t0); // every schedule starts anew: what the warm-up left behind is not sent
        st.measuring = true;
        Thread.sleep(spec.durationMillis());
        st.measuring = false;
        long t1 = System.nanoTime();
        long cpu1 = system.cpuNanos();
        long alloc1 = allocatedBytes();
        stop.set(true);
        finish(drivers, conns, st);
        long msgs = st.measuredMsgs.sum() - msgs0;
        return new Measured((t1 - t0) / 1e9, Double.NaN, Double.NaN, alloc0 < 0 || msgs == 0 ? Double.NaN : (alloc1 - alloc0) / (double) msgs,
                Cpu.between(cpu0, cpu1));
    }

    /**
     * One channel of the rate workload: send at each intended time (at once when late), wait for
     * the reply; a new {@code epoch} restarts the schedule.
     */
    private static void pace(Connection c, Flow f, LoadSpec spec, int id, java.util.concurrent.atomic.AtomicLong epoch,
                             Stats st, AtomicBoolean stop) {
        Reply r = f.reply();
        double interval = spec.intervalNanos();
        long stagger = Math.round(id * interval / spec.channels());
        try {
            long from = epoch.get();
            Pacing p = new Pacing(from + stagger, interval);
            long previousReply = p.intended(0);
            for (long i = 0; !stop.get(); i++) {
                if (epoch.get() != from) {
                    from = epoch.get();
                    p = new Pacing(from + stagger, interval);
                    i = 0;
                }
                long intended = p.intended(i);
                long now;
                while ((now = System.nanoTime()) - intended < 0 && !stop.get()) {
                    LockSupport.parkNanos(intended - now);
                }
                if (stop.get()) {
                    break;
                }
                f.sendNext(c, Pacing.origin(intended, previousReply, now));
                if (!awaitReply(c, f, r, st)) {
                    break;
                }
                previousReply = System.nanoTime();
            }
            c.close(f::onReply); // nothing in flight unless a reply stalled: endLost counts it
            f.endLost("no reply before the connection closed");
        } catch (IOException | RuntimeException e) {
            st.connectionErrors.increment();
            st.problem("connection failed: " + e);
            c.abort();
            f.endLost("connection failed: " + e.getMessage());
        }
    }

    /** Waits until nothing is in flight; false (a problem noted) after 30 s without a reply. */
    private static boolean awaitReply(Connection c, Flow f, Reply r, Stats st) throws IOException {
        long deadline = System.nanoTime() + STALL_NANOS;
        while (f.inFlight > 0) {
            if (System.nanoTime() - deadline > 0) {
                st.problem("no reply for 30 s with " + f.inFlight + " in flight");
                return false;
            }
            if (c.receive(r, RECEIVE_NANOS)) {
                f.onReply(r);
            }
        }
        return true;
    }

    // ---- idle --------------------------------------------------------------------------------

    /**
     * N channels open at once, one round trip each (so each is known to carry messages), then quiet
     * for the measured time: the CPU they cost while nothing happens (after a warm-up pause in
     * which spins and timers of the last exchange run out).
     */
    private Measured idle(SystemUnderTest system, LoadSpec spec, Stats st) throws InterruptedException {
        int n = spec.channels();
        CountDownLatch exchanged = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        List<Connection> conns = new CopyOnWriteArrayList<>();
        List<Thread> drivers = new ArrayList<>(n);
        ThreadFactory tf = system.driverThreads();
        Semaphore connecting = new Semaphore(CONNECT_CONCURRENCY);
        LoadSpec one = new LoadSpec(spec.workload(), n, 1, spec.size(), spec.chunk(), 1, 0, 0);
        for (int i = 0; i < n; i++) {
            int id = i;
            Thread t = tf.newThread(() -> {
                Connection c = connect(system, st, connecting, id);
                if (c == null) {
                    exchanged.countDown();
                    return;
                }
                conns.add(c);
                Flow f = new Flow(st, one, 0x1d1e_0000L + id, system.label() + " conn " + id);
                try {
                    f.sendNext(c);
                    awaitReply(c, f, f.reply(), st);
                    f.publish();
                    exchanged.countDown();
                    await(release); // quiet until the measurement is over
                    c.close(f::onReply);
                    f.endLost("no reply before the connection closed");
                } catch (IOException | RuntimeException e) {
                    st.connectionErrors.increment();
                    st.problem("idle conn " + id + " failed: " + e);
                    c.abort();
                    f.endLost("connection failed");
                    exchanged.countDown();
                }
            });
            drivers.add(t);
            t.start();
        }
        if (!exchanged.await(300, TimeUnit.SECONDS)) {
            st.problem("not every idle channel connected and exchanged within 300 s");
        }
        Thread.sleep(spec.warmupMillis());
        long cpu0 = system.cpuNanos();
        long t0 = System.nanoTime();
        Thread.sleep(spec.durationMillis());
        long t1 = System.nanoTime();
        long cpu1 = system.cpuNanos();
        release.countDown();
        finish(drivers, conns, st);
        return new Measured((t1 - t0) / 1e9, Double.NaN, Double.NaN, Double.NaN, Cpu.between(cpu0, cpu1));
    }

    // ---- churn -------------------------------------------------------------------------------

    private Measured churn(SystemUnderTest system, LoadSpec spec, Stats st) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<Connection> conns = new CopyOnWriteArrayList<>();
        List<Thread> drivers = new ArrayList<>();
        ThreadFactory tf = system.driverThreads();
        Semaphore connecting = new Semaphore(CONNECT_CONCURRENCY);
        LoadSpec oneAtATime = new LoadSpec(spec.workload(), spec.channels(), 1, spec.size(), spec.chunk(),
                spec.perConnection(), spec.warmupMillis(), spec.durationMillis());
        for (int i = 0; i < spec.channels(); i++) {
            int id = i;
            Thread t = tf.newThread(() -> {
                int round = 0;
                while (!stop.get()) {
                    Connection c = connect(system, st, connecting, id);
                    if (c == null) {
                        return;
                    }
                    conns.add(c);
                    Flow f = new Flow(st, oneAtATime, 0xc4a7_0000L + id * 1000L + round++, system.label() + " conn " + id);
                    drive(c, f, oneAtATime, st, stop, spec.perConnection());
                    conns.remove(c);
                }
            });
            drivers.add(t);
            t.start();
        }
        Thread.sleep(spec.warmupMillis());
        st.resetLatency();
        long alloc0 = allocatedBytes();
        long msgs0 = st.measuredMsgs.sum();
        long cpu0 = system.cpuNanos();
        long t0 = System.nanoTime();
        st.measuring = true;
        Thread.sleep(spec.durationMillis());
        st.measuring = false;
        long t1 = System.nanoTime();
        long cpu1 = system.cpuNanos();
        long alloc1 = allocatedBytes();
        stop.set(true);
        finish(drivers, conns, st);
        long msgs = st.measuredMsgs.sum() - msgs0; // exact once every flow has ended and added its counts
        return new Measured((t1 - t0) / 1e9, Double.NaN, Double.NaN, alloc0 < 0 || msgs == 0 ? Double.NaN : (alloc1 - alloc0) / (double) msgs,
                Cpu.between(cpu0, cpu1));
    }

    // ---- fanin -------------------------------------------------------------------------------

    private Measured fanin(SystemUnderTest system, LoadSpec spec, Stats st) throws InterruptedException {
        int n = spec.channels();
        long heap0 = heapAfterGc();
        long serverHeap0 = system.serverHeapAfterGc();
        CountDownLatch connected = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch exchanged = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        List<Connection> conns = new CopyOnWriteArrayList<>();
        List<Thread> drivers = new ArrayList<>(n);
        ThreadFactory tf = system.driverThreads();
        Semaphore connecting = new Semaphore(CONNECT_CONCURRENCY);
        LoadSpec one = new LoadSpec(spec.workload(), n, 1, spec.size(), spec.chunk(), spec.perConnection(), 0, 0);
        long c0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int id = i;
            Thread t = tf.newThread(() -> {
                Connection c = connect(system, st, connecting, id);
                connected.countDown();
                if (c == null) {
                    exchanged.countDown();
                    return;
                }
                conns.add(c);
                await(go);
                Flow f = new Flow(st, one, 0xfa41_0000L + id, system.label() + " conn " + id);
                Reply r = f.reply();
                try {
                    for (int k = 0; k < spec.perConnection(); k++) {
                        f.sendNext(c);
                        long deadline = System.nanoTime() + STALL_NANOS;
                        while (f.inFlight > 0 && System.nanoTime() < deadline) {
                            if (c.receive(r, RECEIVE_NANOS)) {
                                f.onReply(r);
                            }
                        }
                        if (f.inFlight > 0) {
                            break;
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    st.connectionErrors.increment();
                    st.problem("fanin conn " + id + " failed: " + e);
                    c.abort();
                    f.endLost("connection failed");
                    exchanged.countDown();
                    return;
                }
                f.publish(); // its counts into st, its latency buffer gone before memory is measured
                exchanged.countDown();
                await(release); // hold the channel open until every channel is done and memory is measured
                try {
                    c.close(f::onReply);
                } catch (IOException | RuntimeException e) {
                    st.connectionErrors.increment();
                    st.problem("fanin conn " + id + " close failed: " + e);
                    c.abort();
                }
                f.endLost("no reply before the connection closed");
            });
            drivers.add(t);
            t.start();
        }
        if (!connected.await(300, TimeUnit.SECONDS)) {
            st.problem("not every fanin channel connected within 300 s");
        }
        double connectSeconds = (System.nanoTime() - c0) / 1e9;
        progress.println(String.format("  %s %s: %d channels connected in %.1f s", spec.label(), system.label(),
                st.connects.sum(), connectSeconds));
        long alloc0 = allocatedBytes();
        long cpu0 = system.cpuNanos();
        long t0 = System.nanoTime();
        st.measuring = true;
        go.countDown();
        if (!exchanged.await(300, TimeUnit.SECONDS)) {
            st.problem("fanin channels not done within 300 s");
        }
        st.measuring = false;
        long t1 = System.nanoTime();
        long cpu1 = system.cpuNanos();
        long alloc1 = allocatedBytes();
        long open = st.connects.sum();
        long heap1 = heapAfterGc();
        long serverHeap1 = serverHeap0 >= 0 ? system.serverHeapAfterGc() : -1;
        release.countDown();
        stop.set(true);
        finish(drivers, conns, st);
        long msgs = st.measuredMsgs.sum();
        return new Measured((t1 - t0) / 1e9, open == 0 ? Double.NaN : (heap1 - heap0) / (double) open,
                serverHeap0 < 0 || serverHeap1 < 0 || open == 0 ? Double.NaN : (serverHeap1 - serverHeap0) / (double) open,
                msgs == 0 || alloc0 < 0 ? Double.NaN : (alloc1 - alloc0) / (double) msgs,
                Cpu.between(cpu0, cpu1));
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Heap in use after full collections, bytes. */
    public static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Bytes allocated by every thread of this JVM so far (JDK counter), or -1. */
    public static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t) {
            try {
                return t.getTotalThreadAllocatedBytes();
            } catch (UnsupportedOperationException e) {
                return -1;
            }
        }
        return -1;
    }
}
