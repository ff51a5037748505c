package dev.tofu.stress.soak;

import dev.tofu.stress.load.Stats;

import java.util.concurrent.atomic.LongAdder;

/**
 * The message accounting of one kind of soak client (pingpong, pipeline, ...): the harness's
 * {@link Stats} (sent, echoed, returned, lost, duplicated, corrupted) plus the soak's own
 * counters. Every counter is thread-safe; the kind's drivers add, the control thread reads.
 *
 * <p>Invariant checked at the end: {@code sent = echoed + returned + corrupted + lost + cut}, where
 * {@code cut} are messages written before a fault the soak injected tore their connection down
 * (their echo could not come back: PROTOCOL.md §5.5.2, §5.6 "written messages are never
 * acknowledged").
 */
final class Tally {
    final String kind;
    final Stats stats = new Stats();
    /** Messages in flight when an injected fault ended their connection, neither echoed nor returned. */
    final LongAdder cut = new LongAdder();
    /** Posts the library refused at once (the message never left the driver; not counted sent). */
    final LongAdder refused = new LongAdder();
    /** Connections (sessions) that ended because of an injected fault. */
    final LongAdder faulted = new LongAdder();

    Tally(String kind) {
        this.kind = kind;
    }

    long unaccounted() {
        return stats.sent.sum() - stats.echoed.sum() - stats.returned.sum() - stats.corrupted.sum()
                - stats.lost.sum() - cut.sum();
    }

    boolean ok() {
        return stats.lost.sum() == 0 && stats.duplicated.sum() == 0 && stats.corrupted.sum() == 0
                && stats.connectionErrors.sum() == 0 && unaccounted() == 0 && stats.problems().isEmpty();
    }
}
