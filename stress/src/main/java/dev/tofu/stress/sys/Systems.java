package dev.tofu.stress.sys;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of systems the harness knows, by label ({@code name/transport}). To add a system to
 * {@code compare}: implement {@link EchoSystem} (its {@link EchoServer} half, {@link Connection},
 * driver threads, leak checks) and add one line to {@link #FACTORIES}; every workload, both server
 * placements ({@code --processes}), the tables, the CSV/JSON and the charts pick it up, and
 * {@code --systems} selects it. The server JVM of a two-process run finds the server half here by label.
 */
public final class Systems {
    /** What a factory gets: the shared embedded tofu server, so tofu/tcp and tofu/uds use one. */
    public record Context(TofuServerHandle tofuServer) {
    }

    /** The embedded server of the tofu-direct systems (direct writes on the server side too). */
    private static final EmbeddedTofuServer DIRECT_SERVER =
            new EmbeddedTofuServer(TofuEchoServer.defaultOptions().withDirectWrite(true));

    /** No read spin (Options.withReadSpin(ZERO)): readers park at once, as before the spin existed. */
    static dev.tofu.Options noSpin(dev.tofu.Options o) {
        return o.withReadSpin(java.time.Duration.ZERO);
    }

    /** The embedded server of the tofu-nospin systems: the default server without the read spin. */
    private static final EmbeddedTofuServer NO_SPIN_SERVER = new EmbeddedTofuServer(noSpin(TofuEchoServer.defaultOptions()));

    /**
     * The embedded server of the tofu-pt systems: channel jobs (Options.withIoThreadFactory) and the
     * echo loops on platform threads, nothing else changed.
     */
    private static final EmbeddedTofuServer PLATFORM_SERVER = new EmbeddedTofuServer(
            TofuEchoServer.defaultOptions().withIoThreadFactory(Thread.ofPlatform().daemon().factory()),
            Thread.ofPlatform().daemon().factory());

    /**
     * The latency-bound set-up of the tofu-lat systems: platform threads for the channel jobs and
     * the application (client drivers, server loops), adaptive direct writes, a 50 µs receive spin.
     */
    static dev.tofu.Options latency(dev.tofu.Options o) {
        return o.withIoThreadFactory(Thread.ofPlatform().daemon().factory()).withDirectWrite(true)
                .withReceiveSpin(java.time.Duration.ofNanos(50_000));
    }

    private static final EmbeddedTofuServer LATENCY_SERVER = new EmbeddedTofuServer(
            latency(TofuEchoServer.defaultOptions()), Thread.ofPlatform().daemon().factory());

    /** Label → factory, in the order tables list them. */
    public static final Map<String, Function<Context, EchoSystem>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("tofu/tcp", c -> new TofuSystem(Transport.TCP, c.tofuServer()));
        FACTORIES.put("tofu/uds", c -> new TofuSystem(Transport.UDS, c.tofuServer()));
        FACTORIES.put("tofu-nospin/tcp", c -> new TofuSystem(Transport.TCP, NO_SPIN_SERVER, "tofu-nospin", Systems::noSpin, false));
        FACTORIES.put("tofu-nospin/uds", c -> new TofuSystem(Transport.UDS, NO_SPIN_SERVER, "tofu-nospin", Systems::noSpin, false));
        FACTORIES.put("tofu-direct/tcp", c -> new TofuSystem(Transport.TCP, DIRECT_SERVER, true));
        FACTORIES.put("tofu-direct/uds", c -> new TofuSystem(Transport.UDS, DIRECT_SERVER, true));
        FACTORIES.put("tofu-pt/tcp", c -> new TofuSystem(Transport.TCP, PLATFORM_SERVER, "tofu-pt",
                o -> o.withIoThreadFactory(Thread.ofPlatform().daemon().factory()), true));
        FACTORIES.put("tofu-pt/uds", c -> new TofuSystem(Transport.UDS, PLATFORM_SERVER, "tofu-pt",
                o -> o.withIoThreadFactory(Thread.ofPlatform().daemon().factory()), true));
        FACTORIES.put("tofu-lat/tcp", c -> new TofuSystem(Transport.TCP, LATENCY_SERVER, "tofu-lat", Systems::latency, true));
        FACTORIES.put("tofu-lat/uds", c -> new TofuSystem(Transport.UDS, LATENCY_SERVER, "tofu-lat", Systems::latency, true));
        FACTORIES.put("tofu-call/tcp", c -> new TofuCallSystem(Transport.TCP));
        FACTORIES.put("tofu-call/uds", c -> new TofuCallSystem(Transport.UDS));
        FACTORIES.put("tofu-cluster/tcp", c -> new TofuClusterSystem(Transport.TCP, 1));
        FACTORIES.put("tofu-cluster/uds", c -> new TofuClusterSystem(Transport.UDS, 1));
        FACTORIES.put("tofu-cluster2/tcp", c -> new TofuClusterSystem(Transport.TCP, 2));
        FACTORIES.put("tofu-cluster2/uds", c -> new TofuClusterSystem(Transport.UDS, 2));
        FACTORIES.put("raw-vt/tcp", c -> new RawSocketSystem(Transport.TCP, true));
        FACTORIES.put("raw-pt/tcp", c -> new RawSocketSystem(Transport.TCP, false));
        FACTORIES.put("raw-vt/uds", c -> new RawSocketSystem(Transport.UDS, true));
        FACTORIES.put("raw-pt/uds", c -> new RawSocketSystem(Transport.UDS, false));
        FACTORIES.put("jeromq/tcp", c -> new JeroMqSystem());
        FACTORIES.put("netty/tcp", c -> new NettySystem());
        FACTORIES.put("grpc/tcp", c -> new GrpcSystem(Transport.TCP, false));
        FACTORIES.put("grpc/uds", c -> new GrpcSystem(Transport.UDS, false));
        FACTORIES.put("grpc-vt/tcp", c -> new GrpcSystem(Transport.TCP, true));
        FACTORIES.put("grpc-vt/uds", c -> new GrpcSystem(Transport.UDS, true));
    }

    private Systems() {
    }

    /**
     * Creates the systems named by {@code labels} ("all", a label, or a name matching both
     * transports, such as "raw-vt").
     */
    public static List<EchoSystem> create(List<String> labels, Context context) {
        List<String> chosen = new ArrayList<>();
        for (String l : labels) {
            String want = l.trim().toLowerCase(java.util.Locale.ROOT);
            boolean found = false;
            for (String key : FACTORIES.keySet()) {
                if (want.equals("all") || key.equals(want) || key.startsWith(want + "/")) {
                    if (!chosen.contains(key)) {
                        chosen.add(key);
                    }
                    found = true;
                }
            }
            if (!found) {
                throw new IllegalArgumentException("unknown system '" + l + "'; known: " + FACTORIES.keySet());
            }
        }
        List<EchoSystem> out = new ArrayList<>();
        for (String key : FACTORIES.keySet()) {
            if (chosen.contains(key)) {
                out.add(FACTORIES.get(key).apply(context));
            }
        }
        return out;
    }
}
