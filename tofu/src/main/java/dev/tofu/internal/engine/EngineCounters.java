package dev.tofu.internal.engine;

import dev.tofu.Status;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine's running counters, for {@code Reactor.stats()}. Every field is updated by channel
 * threads without locks (LongAdder/AtomicInteger) and read by any thread; figures are not read
 * atomically together.
 */
final class EngineCounters {
    final AtomicInteger listeners = new AtomicInteger();
    final AtomicInteger clients = new AtomicInteger();
    final AtomicInteger servers = new AtomicInteger();
    final AtomicInteger threads = new AtomicInteger();   // this engine's live channel threads
    final TrafficCounters traffic = new TrafficCounters();
    final LongAdder refusedConnections = new LongAdder(); // accepted and closed at once (limits, no number)
    private final LongAdder[] closeReasons = new LongAdder[Status.values().length];

    EngineCounters() {
        for (int i = 0; i < closeReasons.length; i++) {
            closeReasons[i] = new LongAdder();
        }
    }

    AtomicInteger open(String kind) {
        return switch (kind) {
            case "listener" -> listeners;
            case "client" -> clients;
            default -> servers;
        };
    }

    void closed(Status reason) {
        closeReasons[reason.ordinal()].increment();
    }

    Map<Status, Long> closeReasons() {
        Map<Status, Long> out = new EnumMap<>(Status.class);
        for (Status s : Status.values()) {
            long n = closeReasons[s.ordinal()].sum();
            if (n > 0) {
                out.put(s, n);
            }
        }
        return out;
    }
}
