package dev.tofu.examples;

import dev.tofu.Client;
import dev.tofu.Reactor;
import dev.tofu.ReactorStats;
import dev.tofu.Status;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The metrics recipe (docs/METRICS.md): publishes {@link Reactor#stats()} and a {@link Client}'s
 * counters to a Micrometer {@link MeterRegistry}.
 *
 * <pre>{@code
 * new TofuMetrics(reactor, Tags.of("reactor", "orders")).bindTo(registry);
 * TofuMetrics.forClient(client, Tags.of("peer", "billing")).bindTo(registry);
 * }</pre>
 *
 * <p>Every meter reads a fresh {@link ReactorStats} snapshot when the registry asks (at each scrape
 * or publish): a snapshot reads the engine's counters without stopping it and costs a few
 * allocations. Figures that only grow are {@link FunctionCounter}s, figures that go up and down
 * are {@link Gauge}s. Gauges hold the reactor and client strongly, so unbind (remove the meters) or
 * drop the registry when you close them. Copy this class into your code base and adapt names and
 * tags; the library itself does not depend on Micrometer.
 */
public final class TofuMetrics implements MeterBinder {
    private final Reactor reactor;
    private final Tags tags;

    /**
     * Makes a binder for one reactor.
     *
     * @param reactor the reactor to publish
     * @param tags    tags added to every meter (for example which reactor this is)
     */
    public TofuMetrics(Reactor reactor, Tags tags) {
        this.reactor = reactor;
        this.tags = tags;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "tofu.channels.open", "channels open now", Tags.of("kind", "listener"), ReactorStats::openListeners);
        gauge(registry, "tofu.channels.open", "channels open now", Tags.of("kind", "client"), ReactorStats::openClients);
        gauge(registry, "tofu.channels.open", "channels open now", Tags.of("kind", "server"), ReactorStats::openServers);
        gauge(registry, "tofu.groups", "live channel groups", Tags.empty(), s -> s.groupQueueDepths().size());
        gauge(registry, "tofu.group.queue.messages", "messages waiting in all groups' receive queues", Tags.empty(),
                s -> s.groupQueueDepths().stream().mapToInt(Integer::intValue).sum());
        gauge(registry, "tofu.group.queue.max", "messages waiting in the fullest group's receive queue", Tags.empty(),
                s -> s.groupQueueDepths().stream().mapToInt(Integer::intValue).max().orElse(0));
        gauge(registry, "tofu.pool.idle", "idle messages in the pool", Tags.empty(), ReactorStats::poolIdle);

        counter(registry, "tofu.pool.created", "messages the pool has created", null, Tags.empty(), ReactorStats::poolCreated);
        counter(registry, "tofu.messages", "frames received or written", null, Tags.of("direction", "in"), ReactorStats::messagesIn);
        counter(registry, "tofu.messages", "frames received or written", null, Tags.of("direction", "out"), ReactorStats::messagesOut);
        counter(registry, "tofu.bytes", "bytes of frames received or written", "bytes", Tags.of("direction", "in"), ReactorStats::bytesIn);
        counter(registry, "tofu.bytes", "bytes of frames received or written", "bytes", Tags.of("direction", "out"), ReactorStats::bytesOut);
        counter(registry, "tofu.connections.refused", "connections closed at accept by a channel limit", null, Tags.empty(),
                ReactorStats::refusedConnections);
        for (Status reason : Status.values()) {   // one series per reason; silent closes count as shutdown_started
            counter(registry, "tofu.channels.closed", "channels closed, by close reason", null,
                    Tags.of("reason", reason.name().toLowerCase(Locale.ROOT)),
                    s -> s.closeReasons().getOrDefault(reason, 0L));
        }
    }

    /**
     * Makes a binder for one {@link Client}'s counters. Add further request/response counters here
     * (and a {@code forServer}) as {@code Client} and {@code Server} expose them.
     *
     * @param client the client to publish
     * @param tags   tags added to every meter (for example which peer it calls)
     * @return the binder
     */
    public static MeterBinder forClient(Client client, Tags tags) {
        return registry -> FunctionCounter.builder("tofu.client.late.responses", client, Client::lateResponses)
                .description("responses that arrived after their call had timed out")
                .tags(tags)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, Tags extra,
                       ToDoubleFunction<ReactorStats> value) {
        Gauge.builder(name, reactor, r -> value.applyAsDouble(r.stats()))
                .description(description)
                .tags(tags.and(extra))
                .strongReference(true)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, String unit, Tags extra,
                         ToDoubleFunction<ReactorStats> value) {
        FunctionCounter.builder(name, reactor, r -> value.applyAsDouble(r.stats()))
                .description(description)
                .baseUnit(unit)
                .tags(tags.and(extra))
                .register(registry);
    }
}
