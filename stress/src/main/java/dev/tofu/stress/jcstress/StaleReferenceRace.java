package dev.tofu.stress.jcstress;

import dev.tofu.AllocationStrategy;
import dev.tofu.Message;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * API.md "Ownership rules", one lease per reference: the application posted a message (its lease
 * ended), the writer sent it and recycled the storage, and now a stale {@code close()} on the old
 * reference races the channel's reader, which takes that same storage for a new frame and hands it
 * to the application as a new lease. The stale close must do nothing: the new message keeps its
 * body, stays live, and the pool does not get the storage back while it is leased.
 *
 * <p>Before leases (one {@code Message} object per storage, ownership on the object) the stale
 * {@code close()} saw "owned by the application" again once the reader had handed the object out,
 * and returned the live response to the pool.
 *
 * <p>Result: r1 = the new lease's body length (1 = intact), r2 = idle messages in the pool
 * afterwards (0 = the stale close returned nothing), r3 = 1 if the new reference is live and the old
 * one dead.
 */
@JCStressTest
@Description("a stale close() racing the reader that re-leases the same storage: the new lease is untouched")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the stale close did nothing; the new lease is intact")
@Outcome(id = "0, .*, .*", expect = FORBIDDEN, desc = "the stale close cleared the new message's body")
@Outcome(id = ".*, 1, .*", expect = FORBIDDEN, desc = "the stale close returned leased storage to the pool")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class StaleReferenceRace {
    private static final MessageAccess ACCESS = MessageAccess.get();

    private final MessagePool pool = new MessagePool(0, 1);
    private final Message stale;
    private Message fresh;

    public StaleReferenceRace() {
        stale = ACCESS.lease(pool.get(AllocationStrategy.ALWAYS));
        stale.body().append(new byte[] {1, 2, 3});
        MessageStore s = ACCESS.release(stale);           // post: the lease ends
        s.setOwner(dev.tofu.internal.message.Owner.ENGINE);
        pool.recycle(s);                                   // the writer sent it and recycled it
    }

    @Actor
    public void staleCloser() {
        stale.close();
    }

    @Actor
    public void reader() {
        MessageStore s = pool.tryTakeForEngine();         // the same storage, for a new frame
        if (s != null) {
            s.body().append(new byte[] {42}, 0, 1);
            fresh = ACCESS.lease(s);                       // waitReceive hands it out
        }
    }

    @Arbiter
    public void check(III_Result r) {
        r.r1 = fresh == null ? -1 : fresh.body().length();
        r.r2 = pool.idleCount();
        r.r3 = fresh != null && fresh.isLive() && !stale.isLive() && fresh.body().toByteArray()[0] == 42 ? 1 : 0;
    }
}
