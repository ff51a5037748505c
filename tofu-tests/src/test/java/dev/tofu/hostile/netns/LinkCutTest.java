package dev.tofu.hostile.netns;

import dev.tofu.Status;
import dev.tofu.hostile.netns.NetnsLink.Child;
import dev.tofu.hostile.netns.NetnsLink.Line;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Wire;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real link cut, which loopback cannot give: the echo server ({@link LinkCutServerMain}) runs in
 * one network namespace and the client ({@link LinkCutClientMain}) in another, each in its own JVM,
 * joined only by a veth pair on a private /30 ({@code src/test/netns/linkcut.sh}); the test sets
 * the server's end of the link down mid-stream. This kernel has no {@code netem}, so delay and loss
 * cannot be injected, but a cut drops every packet in both directions while it lasts.
 *
 * <ul>
 * <li>Without timeouts nothing is lost: a cut shorter than TCP's retransmission give-up time only
 *     stalls the stream, and every message is echoed exactly once, in order, intact.
 * <li>With an idle timeout, both sides detect the dead peer within the timeout (plus its quarter
 *     tick and slack) and close with COMMUNICATION_FAILED; the client gets back, in its close bundle,
 *     every message that was still unwritten (PROTOCOL.md §5.5.3, §5.6).
 * <li>With TCP keepalive, both sides of a quiet connection find the cut link by themselves.
 * </ul>
 *
 * <p>Runs only as root with a working {@code ip netns}; skipped with the reason otherwise.
 * Namespaces and links are deleted whatever happens: try-with-resources, a JVM shutdown hook, and a
 * sweep of namespaces left by a test JVM that was killed (the children exit when the test JVM's pipe
 * to them closes).
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class LinkCutTest {
    /** How long a link stays cut in the "nothing is lost" case: well inside TCP's retransmission time. */
    private static final Duration CUT = Duration.ofMillis(2500);
    private static final Duration IDLE = Duration.ofSeconds(2);
    /** Idle timeout + one watchdog tick (a quarter of it) + slack for a loaded 2-core machine. */
    private static final Duration IDLE_LATEST = IDLE.plus(IDLE.dividedBy(4)).plusSeconds(5);
    private static final Duration KEEPALIVE = Duration.ofSeconds(1);
    /**
     * Keepalive beside the idle timeout: a side with nothing unacknowledged would give up after 3 s
     * + 3 probes, well after the idle timeout, so the idle timeout is what closes there.
     */
    private static final Duration KEEPALIVE_WITH_IDLE = Duration.ofSeconds(3);
    /** Keepalive idle + 3 probes one second apart + slack. */
    private static final Duration KEEPALIVE_LATEST = KEEPALIVE.plusSeconds(3).plusSeconds(5);

    /** Why this machine cannot run the test, or {@code null}; checked once per class. */
    private static String unavailable;

    @BeforeAll
    static void checkRootAndNetworkNamespaces() throws Exception {
        unavailable = NetnsLink.unavailable();
        if (unavailable == null) {
            NetnsLink.sweepStale();
        } else {
            System.out.println("LinkCutTest skipped: " + unavailable);
        }
    }

    @BeforeEach
    void needsRootAndNetworkNamespaces() {
        assumeTrue(unavailable == null, "LinkCutTest skipped: " + unavailable);
    }

    @Test
    void withoutTimeoutsACutShorterThanTcpRetransmissionLosesNothingAndDuplicatesNothing() throws Exception {
        try (NetnsLink link = NetnsLink.up()) {
            Child server = link.start(link.nsA, LinkCutServerMain.class, NetnsLink.ADDR_A, "0", "0");
            String address = server.await("READY", Wire.WAIT).word(1);
            Child client = link.start(link.nsB, LinkCutClientMain.class, address, "1024", "32", "0", "true", "0", "0", "100");
            client.await("PROGRESS", l -> Long.parseLong(l.word(1)) >= 500, Wire.WAIT);

            link.cut();
            long cutAt = System.nanoTime();
            LockSupport.parkNanos(CUT.toNanos()); // the length of the outage is the scenario, not a wait for a condition
            long progressAtRestore = client.highest("PROGRESS");
            link.restore();
            long restoredAt = System.nanoTime();
            Line resumed = client.await("PROGRESS", l -> Long.parseLong(l.word(1)) >= progressAtRestore + 1000, Wire.WAIT);
            client.send("STOP");

            Line done = client.await("DONE", Wire.WAIT);
            Line clientClosed = client.await("CLOSED", Wire.WAIT);
            Line serverClosed = server.await("CLOSED", Wire.WAIT);
            System.out.printf("LinkCutTest off: cut %d ms, stream resumed %d ms after restore; %s; server %s%n",
                    (restoredAt - cutAt) / 1_000_000, (resumed.at() - restoredAt) / 1_000_000, done.text(), serverClosed.text());
            long sent = done.number("sent");
            assertTrue(done.number("maxStallMs") >= CUT.toMillis() - 500,
                    "the cut hit the stream mid-way (it stalled, then resumed): " + done.text());
            assertEquals(sent, done.number("echoed"), "every message echoed: " + done.text());
            assertEquals(0, done.number("outOfOrder"), "echoes in order on the channel: " + done.text());
            assertEquals(0, done.number("duplicates"), "no echo twice: " + done.text());
            assertEquals(0, done.number("corrupt"), "every body and checksum intact: " + done.text());
            assertEquals(0, done.number("returned"), "nothing returned: " + done.text());
            assertEquals(0, done.number("refused"), "every post accepted: " + done.text());
            assertEquals(sent, serverClosed.number("received"), "the server received each request once: " + serverClosed.text());
            assertEquals(sent, serverClosed.number("echoed"), "and echoed each once: " + serverClosed.text());
            assertEquals("CHANNEL_CLOSED", clientClosed.word(1), "§5.5.1: the client closed with Bye: " + clientClosed.text());
            assertEquals("CHANNEL_CLOSED", serverClosed.word(1), "§5.5.1: the server saw the graceful close: " + serverClosed.text());
            assertEquals(0, client.awaitExit(Wire.WAIT), client.output());
            assertEquals(0, server.awaitExit(Wire.WAIT), server.output());
        }
    }

    @Test
    void withAnIdleTimeoutBothSidesCloseAfterACutAndTheClientGetsItsUnwrittenMessagesBack() throws Exception {
        String idleMs = String.valueOf(IDLE.toMillis());
        String keepAliveS = String.valueOf(KEEPALIVE_WITH_IDLE.toSeconds());
        try (NetnsLink link = NetnsLink.up()) {
            Child server = link.start(link.nsA, LinkCutServerMain.class, NetnsLink.ADDR_A, idleMs, keepAliveS);
            String address = server.await("READY", Wire.WAIT).word(1);
            Child client = link.start(link.nsB, LinkCutClientMain.class, address, "4096", "32", "0", "false", idleMs, keepAliveS, "100");
            client.await("PROGRESS", l -> Long.parseLong(l.word(1)) >= 300, Wire.WAIT);

            link.cut();
            long cutAt = System.nanoTime();
            // 12 MB: more than the client's socket send buffer (at most 4 MB, linkcut.sh) takes while nothing is acknowledged
            client.send("BURST 3000");

            Line clientClosed = client.await("CLOSED", Wire.WAIT);
            Line serverClosed = server.await("CLOSED", Wire.WAIT);
            Line done = client.await("DONE", Wire.WAIT);
            Duration clientTook = Duration.ofNanos(clientClosed.at() - cutAt);
            Duration serverTook = Duration.ofNanos(serverClosed.at() - cutAt);
            long sent = done.number("sent");
            long echoed = done.number("echoed");
            long returned = done.number("returned");
            System.out.printf("LinkCutTest on: client closed %d ms, server %d ms after the cut; %s; never returned "
                            + "(written into the socket before the cut, or echoed and lost): %d; server %s%n",
                    clientTook.toMillis(), serverTook.toMillis(), done.text(), sent - echoed - returned, serverClosed.text());

            assertTrue(clientTook.compareTo(IDLE_LATEST) <= 0, "the client detects the dead peer within " + IDLE_LATEST + ": " + clientTook);
            assertTrue(serverTook.compareTo(IDLE_LATEST) <= 0, "the server detects the dead peer within " + IDLE_LATEST + ": " + serverTook);
            assertTrue(clientTook.compareTo(IDLE.dividedBy(2)) >= 0, "not closed before its time: " + clientTook);
            assertTrue(serverTook.compareTo(IDLE.dividedBy(2)) >= 0, "not closed before its time: " + serverTook);
            assertEquals("COMMUNICATION_FAILED", clientClosed.word(1), "Options.withIdleTimeout: the close reason: " + clientClosed.text());
            assertEquals("COMMUNICATION_FAILED", serverClosed.word(1), "Options.withIdleTimeout: the close reason: " + serverClosed.text());

            assertTrue(returned > 0, "§5.6: the unwritten messages come back: " + done.text());
            assertEquals("[" + Status.COMMUNICATION_FAILED + "]", done.value("statuses"), "§5.6: with the close reason as status: " + done.text());
            assertEquals(sent, done.number("lastReturned"), "§5.6: the returned messages are the last posted: " + done.text());
            assertEquals(sent - returned + 1, done.number("firstReturned"), "§5.6: a contiguous run, each once: " + done.text());
            assertEquals(0, done.number("returnedOutOfOrder"), "§5.6: returned in queue order: " + done.text());
            assertTrue(echoed < done.number("firstReturned"), "no message both echoed and returned: " + done.text());
            assertEquals(0, done.number("outOfOrder") + done.number("duplicates") + done.number("corrupt"),
                    "every echo before the cut was in order, once and intact: " + done.text());
            assertEquals(0, done.number("refused"), "every post accepted (the burst fits the outbound limit): " + done.text());
            assertEquals(0, client.awaitExit(Wire.WAIT), client.output());
            assertEquals(0, server.awaitExit(Wire.WAIT), server.output());
        }
    }

    @Test
    void withTcpKeepAliveBothSidesOfAQuietConnectionFindTheCutLink() throws Exception {
        String keepAliveS = String.valueOf(KEEPALIVE.toSeconds());
        try (NetnsLink link = NetnsLink.up()) {
            Child server = link.start(link.nsA, LinkCutServerMain.class, NetnsLink.ADDR_A, "0", keepAliveS);
            String address = server.await("READY", Wire.WAIT).word(1);
            Child client = link.start(link.nsB, LinkCutClientMain.class, address, "1024", "8", "20", "false", "0", keepAliveS, "0");
            client.await("DRAINED", Wire.WAIT);
            // keepalive probes only run while nothing waits for an acknowledgement (a delayed ACK may still be due)
            Probe.awaitTrue(() -> {
                try {
                    return link.settled();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, Wire.WAIT, "no unacknowledged data on either side");

            link.cut();
            long cutAt = System.nanoTime();
            Line clientClosed = client.await("CLOSED", Wire.WAIT);
            Line serverClosed = server.await("CLOSED", Wire.WAIT);
            Line done = client.await("DONE", Wire.WAIT);
            Duration clientTook = Duration.ofNanos(clientClosed.at() - cutAt);
            Duration serverTook = Duration.ofNanos(serverClosed.at() - cutAt);
            System.out.printf("LinkCutTest keepalive: client closed %d ms, server %d ms after the cut; client %s; server %s%n",
                    clientTook.toMillis(), serverTook.toMillis(), clientClosed.text(), serverClosed.text());

            Set<String> lost = Set.of(Status.PEER_DISCONNECTED.name(), Status.RECV_FAILED.name());
            assertTrue(lost.contains(clientClosed.word(1)), "Options.withKeepAlive: closed as a lost peer: " + clientClosed.text());
            assertTrue(lost.contains(serverClosed.word(1)), "Options.withKeepAlive: closed as a lost peer: " + serverClosed.text());
            assertTrue(clientTook.compareTo(KEEPALIVE_LATEST) <= 0, "the client finds the cut within " + KEEPALIVE_LATEST + ": " + clientTook);
            assertTrue(serverTook.compareTo(KEEPALIVE_LATEST) <= 0, "the server finds the cut within " + KEEPALIVE_LATEST + ": " + serverTook);
            assertTrue(clientTook.compareTo(KEEPALIVE) >= 0, "not before the first probe was due: " + clientTook);
            assertEquals(20, done.number("sent"), done.text());
            assertEquals(20, done.number("echoed"), "every message before the cut was echoed: " + done.text());
            assertEquals(0, done.number("returned"), "nothing was waiting: " + done.text());
            assertEquals(0, client.awaitExit(Wire.WAIT), client.output());
            assertEquals(0, server.awaitExit(Wire.WAIT), server.output());
        }
    }
}
