package dev.tofu.stress.jcstress;

import dev.tofu.AllocationStrategy;
import dev.tofu.Message;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.Owner;
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
 * API.md "Ownership rules": two threads misuse one application-owned message at once, each pair of
 * {@code put}, {@code post} and {@code close()} in turn. Exactly one of them takes it; the other does
 * nothing ({@code put} and {@code close()} are no-ops on a message the application no longer owns,
 * {@code post} throws {@code IllegalStateException}).
 *
 * <p>The post actor performs exactly post()'s ownership step, ending the reference's lease (an
 * atomic swap of the handle's store for nothing) as {@code Group.post} does before anything else (a real post needs an
 * open channel, i.e. sockets and threads, not a unit jcstress can repeat millions of times).
 * {@code put} goes to pool B and {@code close()} to the message's home pool A, so the outcome shows
 * who won.
 *
 * <p>Result (every variant): r1 = messages that reached pool B (put won), r2 = 1 if post's CAS
 * succeeded, r3 = messages that reached pool A (close won). The final owner is checked too: a result
 * that disagrees with it, or a reference still live afterwards, is reported as r1 = 9.
 */
public class OwnershipRace {
    private static final MessageAccess ACCESS = MessageAccess.get();

    /** The shared state of every variant. */
    static class Race {
        final MessagePool home = new MessagePool(0, 4);
        final MessagePool other = new MessagePool(0, 4);
        final Message m = ACCESS.lease(home.get(AllocationStrategy.ALWAYS));
        final MessageStore store = ACCESS.store(m);
        int posted;

        void put() {
            other.put(ACCESS.release(m)); // Ampe.put: a dead reference gives null, which put ignores
        }

        void post() {
            MessageStore s = ACCESS.release(m); // Group.post's first step: end the lease
            if (s != null) {
                s.setOwner(Owner.ENGINE);
                posted = 1;
            }
        }

        void close() {
            m.close();
        }

        void check(III_Result r) {
            int inOther = other.idleCount() + (int) other.droppedCount();
            int inHome = home.idleCount() + (int) home.droppedCount();
            int expectedOwner = posted == 1 ? Owner.ENGINE : inOther + inHome > 0 ? Owner.POOL : Owner.APPLICATION;
            r.r1 = store.owner() == expectedOwner && !m.isLive() ? inOther : 9;
            r.r2 = posted;
            r.r3 = inHome;
        }
    }

    @JCStressTest
    @Description("put racing post on one message: exactly one takes it")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "put won: the message is in the pool, post refused it")
    @Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "post won: the engine owns it, put did nothing")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "put and post both took it")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "nobody took it")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome (9: the owner field disagrees)")
    @State
    public static class PutVsPost extends Race {
        @Actor
        public void putter() {
            put();
        }

        @Actor
        public void poster() {
            post();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @Description("post racing close() on one message: exactly one takes it")
    @Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "post won: the engine owns it, close() did nothing")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "close() won: the message is back in its home pool, post refused it")
    @Outcome(id = ".*, 1, 1", expect = FORBIDDEN, desc = "post and close() both took it")
    @Outcome(id = ".*, 0, 0", expect = FORBIDDEN, desc = "nobody took it")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome (9: the owner field disagrees)")
    @State
    public static class PostVsClose extends Race {
        @Actor
        public void poster() {
            post();
        }

        @Actor
        public void closer() {
            close();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @Description("put racing close() on one message: it lands in exactly one pool")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "put won: the message is in the put pool")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "close() won: the message is back in its home pool")
    @Outcome(id = "1, .*, 1", expect = FORBIDDEN, desc = "both pools hold the message")
    @Outcome(id = "0, .*, 0", expect = FORBIDDEN, desc = "neither pool got it")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome (9: the owner field disagrees)")
    @State
    public static class PutVsClose extends Race {
        @Actor
        public void putter() {
            put();
        }

        @Actor
        public void closer() {
            close();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }
}
