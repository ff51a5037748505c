package dev.tofu.stress.jcstress;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.engine.GroupQueue;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

import java.util.concurrent.TimeUnit;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §6.7: {@code updateReceiver} (a notice put from an application thread) races the one
 * consumer going to sleep in {@code waitReceive}. The consumer always gets the update, and it is woken
 * for it: it never sleeps until its timeout with the update already queued (a lost wake-up).
 *
 * <p>The consumer waits up to {@value #TIMEOUT_MS} ms, far beyond any scheduling delay of the
 * producer, and reports whether it returned before that deadline.
 *
 * <p>Result: r1 = the consumer got the update, r2 = it returned before its timeout.
 */
@JCStressTest
@Description("updateReceiver racing a consumer falling asleep in take(): the update is seen, the consumer woken")
@Outcome(id = "true, true", expect = ACCEPTABLE, desc = "the consumer got the update without waiting for its timeout")
@Outcome(id = "true, false", expect = FORBIDDEN, desc = "lost wake-up: the update sat queued until the timeout")
@Outcome(id = "false, .*", expect = FORBIDDEN, desc = "the update was not seen")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class GroupQueueWakeupRace {
    static final long TIMEOUT_MS = 2_000;

    private final GroupQueue queue = new GroupQueue(1);
    private final MessageStore update = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);

    @Actor
    public void updateReceiver() {
        queue.putNotice(update);
    }

    @Actor
    public void waitReceive(ZZ_Result r) {
        long timeout = TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        long start = System.nanoTime();
        MessageStore m = queue.take(timeout);
        r.r1 = m == update;
        r.r2 = System.nanoTime() - start < timeout;
    }
}
