package dev.tofu.stress.sys;

import dev.tofu.stress.load.Cpu;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * One row of a run: a system's client half in this JVM and its server half either in this JVM
 * ({@link #local}) or in the second JVM of a {@link ServerJvm} ({@link #forked}), whose rows carry
 * the label suffix {@value #FORKED_SUFFIX}. What the harness's runner drives; the same for every
 * system, so a system added to {@link Systems} runs in two processes with no code of its own.
 */
public final class SystemUnderTest implements AutoCloseable {
    /** Appended to the label of a system whose server runs in the second JVM. */
    public static final String FORKED_SUFFIX = "@2jvm";

    private final EchoSystem client;
    private final EchoServer server;
    private final ServerJvm jvm;

    private SystemUnderTest(EchoSystem client, EchoServer server, ServerJvm jvm) {
        this.client = client;
        this.server = server;
        this.jvm = jvm;
    }

    /** Client and server in this JVM. */
    public static SystemUnderTest local(EchoSystem system) {
        return new SystemUnderTest(system, system.newServer(), null);
    }

    /** The client here, the server in {@code jvm} (the same system, started there by its label). */
    public static SystemUnderTest forked(EchoSystem system, ServerJvm jvm) {
        return new SystemUnderTest(system, jvm.server(system.label()), jvm);
    }

    /** "name/transport", plus {@value #FORKED_SUFFIX} when the server runs in the second JVM. */
    public String label() {
        return client.label() + (jvm != null ? FORKED_SUFFIX : "");
    }

    /** The system (client half). */
    public EchoSystem system() {
        return client;
    }

    /** Whether the server runs in another JVM. */
    public boolean forked() {
        return jvm != null;
    }

    /** Starts the server and points the client half at it. */
    public void start() throws Exception {
        client.attach(server.start());
    }

    /** Prepares the server, then the client half, for a measurement of this shape. */
    public void prepare(int connections, int inFlight, int maxPayload) throws Exception {
        String moved = server.prepare(connections, inFlight, maxPayload);
        if (moved != null) {
            client.attach(moved);
        }
        client.prepare(connections, inFlight, maxPayload);
    }

    /** Opens one client connection. */
    public Connection connect() throws IOException {
        return client.connect();
    }

    /** The driver threads of the client half. */
    public ThreadFactory driverThreads() {
        return client.driverThreads();
    }

    /** Client-side, then server-side leaks, within {@code waitMillis} in all. */
    public List<String> leaks(long waitMillis) {
        long deadline = System.currentTimeMillis() + waitMillis;
        List<String> out = new ArrayList<>(client.leaks(waitMillis));
        out.addAll(server.leaks(Math.max(100, deadline - System.currentTimeMillis())));
        return out;
    }

    /** CPU time so far of every process involved (this JVM, plus the server JVM when forked), ns; -1 if unknown. */
    public long cpuNanos() {
        long own = Cpu.processNanos();
        if (jvm == null || own < 0) {
            return own;
        }
        long other = jvm.cpuNanos();
        return other < 0 ? -1 : own + other;
    }

    /** The server JVM's heap after GC, bytes, when forked; -1 otherwise. */
    public long serverHeapAfterGc() {
        return jvm == null ? -1 : jvm.heapAfterGc();
    }

    /** Server counters for reports. */
    public String stats() {
        return server.stats();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            server.close();
        }
    }
}
