package dev.tofu.hostile.netns;

import dev.tofu.cluster.LinkCutClusterMain;
import dev.tofu.cluster.ServerProcessMain;
import dev.tofu.hostile.netns.NetnsLink.Child;
import dev.tofu.hostile.netns.NetnsLink.Line;
import dev.tofu.testing.Wire;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A {@link dev.tofu.ClusterClient} over a cut link (issue 23): server {@code a} runs on one host
 * (network namespace A), the client and servers {@code b} and {@code c} on another (namespace B),
 * each host its own JVM ({@link ServerProcessMain}, {@link LinkCutClusterMain}), joined only by a veth
 * pair ({@code src/test/netns/linkcut.sh}). Under load the link to {@code a} is cut: the client's
 * idle timeout finds the dead link, the calls that were on {@code a} fail with the close reason
 * (PEER_DISCONNECTED or COMMUNICATION_FAILED), no other call fails, and the calls after that go to {@code b} and {@code c}; once the link is
 * back, {@code a} rejoins.
 *
 * <p>Runs only as root with a working {@code ip netns}; skipped with the reason otherwise.
 */
@Timeout(90)
class ClusterLinkCutTest {
    private static final Duration IDLE = Duration.ofSeconds(2);
    /** Idle timeout + one watchdog tick (a quarter of it) + slack for a loaded 2-core machine. */
    private static final Duration IDLE_LATEST = IDLE.plus(IDLE.dividedBy(4)).plusSeconds(5);

    private static String unavailable;

    @BeforeAll
    static void checkRootAndNetworkNamespaces() throws Exception {
        unavailable = NetnsLink.unavailable();
        if (unavailable == null) {
            NetnsLink.sweepStale();
        } else {
            System.out.println("ClusterLinkCutTest skipped: " + unavailable);
        }
    }

    @BeforeEach
    void needsRootAndNetworkNamespaces() {
        assumeTrue(unavailable == null, "ClusterLinkCutTest skipped: " + unavailable);
    }

    @Test
    void aCutLinkToOneServerHostIsDetectedAndItsCallsGoElsewhere() throws Exception {
        try (NetnsLink link = NetnsLink.up()) {
            Child server = link.start(link.nsA, ServerProcessMain.class, NetnsLink.ADDR_A, "0", "a", "1000");
            String address = server.await("READY", Wire.WAIT).word(1);
            Child client = link.start(link.nsB, LinkCutClusterMain.class, address, String.valueOf(IDLE.toMillis()));
            client.await("READY", Wire.WAIT);
            client.await("PROGRESS", l -> l.number("okA") >= 300 && l.number("okB") >= 300, Wire.WAIT);

            link.cut();
            long cutAt = System.nanoTime();
            Line down = client.await("PROGRESS", l -> l.value("a").equals("DOWN"), Wire.WAIT);
            Duration detected = Duration.ofNanos(down.at() - cutAt);
            long aCallsAtDown = down.number("aCalls");
            long okAtDown = down.number("okB") + down.number("okC");
            Line after = client.await("PROGRESS", l -> l.number("okB") + l.number("okC") >= okAtDown + 1000, Wire.WAIT);
            System.out.printf("ClusterLinkCutTest: a found down %d ms after the cut; at that point %s; later %s%n",
                    detected.toMillis(), down.text(), after.text());
            assertTrue(detected.compareTo(IDLE_LATEST) <= 0, "the idle timeout finds the cut within " + IDLE_LATEST + ": " + detected);
            assertTrue(detected.compareTo(IDLE.dividedBy(2)) >= 0, "not before the idle timeout: " + detected);
            assertEquals(aCallsAtDown, after.number("aCalls"), "no call goes to a while it is down: " + after.text());
            assertEquals(after.number("aFailed"), after.number("failed"), "only calls that were on a failed: " + after.text());
            assertTrue(after.value("statuses").matches("\\{(TofuException/(COMMUNICATION_FAILED|PEER_DISCONNECTED)=\\d+,?)*}"),
                    "they failed with the close reason: " + after.text());

            link.restore();
            long restoredAt = System.nanoTime();
            Line back = client.await("PROGRESS", l -> l.at() > restoredAt && l.value("a").equals("READY"), Wire.WAIT);
            Line rejoined = client.await("PROGRESS", l -> l.at() > back.at() && l.number("okA") >= back.number("okA") + 300, Wire.WAIT);
            client.send("STOP");
            client.await("DONE", Wire.WAIT);
            System.out.printf("ClusterLinkCutTest: after the restore %s%n", rejoined.text());
            assertEquals(after.number("failed"), rejoined.number("failed"), "no failure after the restore: " + rejoined.text());
            assertEquals(0, client.awaitExit(Wire.WAIT), client.output());
        }
    }
}
