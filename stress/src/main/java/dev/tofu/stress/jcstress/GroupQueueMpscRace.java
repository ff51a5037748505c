package dev.tofu.stress.jcstress;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.engine.GroupQueue;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.util.ArrayList;
import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §6.5, §6.8: the group receive queue is many producers, one consumer. Messages put by
 * channel readers ({@code putFrame}) and by the engine or {@code updateReceiver} ({@code putNotice})
 * all come out exactly once, none lost and none duplicated, each producer's in the order it put them,
 * and the frame count returns to zero.
 *
 * <p>Result (both variants): r1 = how many the racing consumer got (0 when the consumer is the
 * arbiter), r2 = how many distinct messages came out in all (4 = all, no duplicate), r3 = 1 if
 * per-producer order held, the frame count is 0 and close() finds nothing left.
 */
public class GroupQueueMpscRace {

    /** Four messages from two producers, and everything taken, in order. */
    static class Race {
        final GroupQueue queue = new GroupQueue(4); // room for every frame: putFrame never waits here
        final MessageStore f1 = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        final MessageStore f2 = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        final MessageStore n1 = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        final MessageStore n2 = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        final List<MessageStore> out = new ArrayList<>(6);
        int racing;

        void putFrame(MessageStore m) {
            try {
                queue.putFrame(m);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        void poll(int times) {
            for (int i = 0; i < times; i++) {
                MessageStore m = queue.take(0);
                if (m != null) {
                    out.add(m);
                    racing++;
                }
            }
        }

        void check(III_Result r, int racingCount) {
            MessageStore m;
            while ((m = queue.take(0)) != null) {
                out.add(m);
            }
            r.r1 = racingCount;
            long distinct = out.stream().distinct().count();
            r.r2 = out.size() == 4 && distinct == 4 ? 4 : (int) Math.min(3, distinct);
            boolean order = out.indexOf(f1) >= 0 && out.indexOf(f1) < out.indexOf(f2)
                    && out.indexOf(n1) >= 0 && out.indexOf(n1) < out.indexOf(n2);
            r.r3 = order && queue.queuedFrames() == 0 && queue.close().isEmpty() ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("a reader (frames) and the engine (notices) put at once: no loss, no duplicate, per-producer FIFO")
    @Outcome(id = "0, 4, 1", expect = ACCEPTABLE, desc = "all four came out once, each producer's in order")
    @Outcome(id = ".*, [0-3], .*", expect = FORBIDDEN, desc = "a message was lost or handed out twice")
    @Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "a producer's order was broken, or the frame count is off")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class TwoProducers extends Race {
        @Actor
        public void reader() {
            putFrame(f1);
            putFrame(f2);
        }

        @Actor
        public void engineNotices() {
            queue.putNotice(n1);
            queue.putNotice(n2);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r, 0);
        }
    }

    @JCStressTest
    @Description("a reader putting frames and notices while the consumer polls: no loss, no duplicate, FIFO")
    @Outcome(id = "0, 4, 1", expect = ACCEPTABLE, desc = "the consumer polled before anything arrived")
    @Outcome(id = "1, 4, 1", expect = ACCEPTABLE, desc = "the consumer got one message while racing")
    @Outcome(id = "2, 4, 1", expect = ACCEPTABLE, desc = "the consumer got two messages while racing")
    @Outcome(id = "3, 4, 1", expect = ACCEPTABLE, desc = "the consumer got three messages while racing")
    @Outcome(id = ".*, [0-3], .*", expect = FORBIDDEN, desc = "a message was lost or handed out twice")
    @Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "the order was broken, or the frame count is off")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class ProducerAndConsumer extends Race {
        @Actor
        public void producer() {
            putFrame(f1);
            queue.putNotice(n1);
            putFrame(f2);
            queue.putNotice(n2);
        }

        @Actor
        public void consumer() {
            poll(3);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r, racing);
        }
    }
}
