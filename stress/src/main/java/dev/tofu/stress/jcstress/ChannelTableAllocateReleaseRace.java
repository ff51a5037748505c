package dev.tofu.stress.jcstress;

import dev.tofu.internal.engine.ChannelTable;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import java.util.random.RandomGenerator;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * PROTOCOL.md §5.1: an application thread allocates a client channel in {@code post()} while
 * another thread releases channel {@code P} (its finisher) and then allocates a server channel (a
 * listener accepting). No number goes to two live channels, and the released {@code P} stays in
 * quarantine: neither allocation may get it.
 *
 * <p>To make collisions as likely as possible the table draws from a rigged random source that
 * always proposes {@code P} first (so both allocators probe the very number being released) and then
 * the same index among the free numbers (so two unlocked allocators would pick the same one).
 *
 * <p>Result: r1, r2 = the numbers allocated, relative to the first free one (0 or 1);
 * r3 = 1 if the release succeeded; r4 = 1 if the table is consistent afterwards (each number bound
 * to its channel, P unbound, two live channels).
 */
@JCStressTest
@Description("allocate x2 racing release: distinct numbers, the released one stays in quarantine")
@Outcome(id = "0, 1, 1, 1", expect = ACCEPTABLE, desc = "the client allocated first")
@Outcome(id = "1, 0, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "the server channel allocated first")
@Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "the client got the quarantined number")
@Outcome(id = ".*, -1, .*", expect = FORBIDDEN, desc = "the server channel got the quarantined number")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "one number bound to two live channels")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "one number bound to two live channels")
@Outcome(id = ".*, .*, 0, .*", expect = FORBIDDEN, desc = "the release of a live channel failed")
@Outcome(id = ".*, .*, .*, 0", expect = FORBIDDEN, desc = "the table is inconsistent afterwards")
@Outcome(expect = FORBIDDEN, desc = "any other outcome")
@State
public class ChannelTableAllocateReleaseRace {
    /** The number being released; the rigged random proposes it first. */
    private static final int P = 100;
    /** Index among free numbers the fallback scan uses: numbers FIRST..FIRST+K-1 are free and skipped. */
    private static final int K = 10;

    private final ChannelTable<Object> table = new ChannelTable<>(new Rigged());
    private final Object released = new Object();
    private final Object client = new Object();
    private final Object server = new Object();
    private final int first;
    private int clientNo;
    private int serverNo;
    private boolean releaseOk;

    public ChannelTableAllocateReleaseRace() {
        int n = table.allocate(released); // the scan: P is free, so the first probe gets it
        if (n != P) {
            throw new IllegalStateException("rigged random did not give " + P + ": " + n);
        }
        first = ChannelTable.FIRST + K; // the K-th free number (P is above it, so it does not shift it)
    }

    @Actor
    public void clientPost() {
        clientNo = table.allocate(client);
    }

    @Actor
    public void finisherThenAccept() {
        releaseOk = table.release(P, released);
        serverNo = table.allocate(server);
    }

    @Arbiter
    public void check(IIII_Result r) {
        r.r1 = clientNo == P ? -1 : clientNo - first;
        r.r2 = serverNo == P ? -1 : serverNo - first;
        r.r3 = releaseOk ? 1 : 0;
        boolean ok = table.get(clientNo) == client && table.get(serverNo) == server
                && table.get(P) == null && table.size() == 2;
        r.r4 = ok ? 1 : 0;
    }

    /** Always proposes P, and index K for the fallback scan; stateless, so safe from any thread. */
    private static final class Rigged implements RandomGenerator {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public int nextInt(int bound) {
            return bound == ChannelTable.LAST - ChannelTable.FIRST + 1 ? P - ChannelTable.FIRST : Math.min(K, bound - 1);
        }
    }
}
