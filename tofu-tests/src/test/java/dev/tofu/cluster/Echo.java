package dev.tofu.cluster;

import dev.tofu.Address;
import dev.tofu.ClusterClient;
import dev.tofu.ClusterStats;
import dev.tofu.Message;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Helpers of the cluster tests: an echo server that names itself in every answer
 * ({@code "<id>:<request body>"}), so a test knows which server answered and that the answer is
 * the one to its own request.
 */
final class Echo {
    /** Generous per-call timeout for calls that must succeed. */
    static final Duration CALL = Duration.ofSeconds(20);
    /** How long a condition may take on this loaded machine. */
    static final Duration WAIT = Duration.ofSeconds(20);

    private Echo() {
    }

    static PinningGuard clusterThreads() {
        return new PinningGuard("tofu-cluster-");
    }

    /** Reactor options for a side with up to a few hundred calls at once. */
    static Options options() {
        return Options.of(320, 2048);
    }

    /** Starts an echo server named {@code id}; each request first parks {@code work}. */
    static Server start(Reactor reactor, Address listen, String id, Duration work) {
        long nanos = work.toNanos();
        return Server.builder(reactor).listen(listen)
                .maxConcurrency(256)
                .onRequest(request -> {
                    if (nanos > 0) {
                        LockSupport.parkNanos(nanos);
                    }
                    String body = text(request);
                    request.body().clear();
                    request.body().append((id + ":" + body).getBytes(StandardCharsets.UTF_8));
                    return request;
                })
                .start();
    }

    static Message request(ClusterClient c, String s) {
        Message m = c.newMessage();
        m.body().append(s.getBytes(StandardCharsets.UTF_8));
        return m;
    }

    static String text(Message m) {
        return new String(m.body().toByteArray(), StandardCharsets.UTF_8);
    }

    /** Calls with {@code body}; returns the id of the server that answered; fails on a wrong answer. */
    static String call(ClusterClient c, String body) {
        try (Message r = c.call(request(c, body), CALL)) {
            String t = text(r);
            int colon = t.indexOf(':');
            if (colon < 0 || !t.substring(colon + 1).equals(body)) {
                throw new AssertionError("wrong answer to '" + body + "': '" + t + "'");
            }
            return t.substring(0, colon);
        }
    }

    static ClusterStats.State state(ClusterClient c, Address a) {
        ClusterStats.Member m = c.stats().server(a);
        return m == null ? null : m.state();
    }

    static void awaitState(ClusterClient c, Address a, ClusterStats.State want) {
        Probe.awaitTrue(() -> state(c, a) == want, WAIT, a.value() + " becomes " + want + "; stats " + c.stats());
    }
}
