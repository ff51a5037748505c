package dev.tofu.stress.soak;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one kind of fault did: how often it was injected (or skipped because its target was busy),
 * the messages it affected (in flight when it hit, or sent after it) and what became of them:
 * echoed anyway, returned with a status, or cut (written before the fault, echo cut off). Thread-safe.
 */
final class FaultTally {
    final FaultKind kind;
    final LongAdder injected = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder affected = new LongAdder();
    final LongAdder echoed = new LongAdder();
    final LongAdder returned = new LongAdder();
    final LongAdder cut = new LongAdder();
    /** The kind's own figure ({@link FaultKind#extra}). */
    final LongAdder extra = new LongAdder();

    FaultTally(FaultKind kind) {
        this.kind = kind;
    }
}
