package dev.tofu.rpc;

import dev.tofu.Client;
import dev.tofu.Message;
import dev.tofu.Reactor;
import dev.tofu.Server;
import dev.tofu.testing.Wire.Transport;
import dev.tofu.testing.PinningGuard;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small helpers shared by the request/response tests. */
final class Rpc {
    /** Generous per-call timeout for calls that must succeed. */
    static final Duration CALL = Duration.ofSeconds(20);

    static {
        // Take a timed latch wait once on this (platform) thread: the first timed wait loads AQS's wait
        // node class, and handler threads that load it at once contend for its class-loading lock,
        // which pins (the guard saw it when RpcFailureTest happened to run first).
        try {
            new CountDownLatch(1).await(1, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Rpc() {
    }

    /** A started server on {@code reactor} that answers every request with the request itself. */
    static Server echoServer(Reactor reactor, Transport transport) {
        return Server.builder(reactor).listen(transport.serverAddress())
                .onRequest(request -> request)
                .start();
    }

    /** Pinning guards for the request/response layer's own threads (the engine's are guarded by @ExtendWith). */
    static PinningGuard clientThreads() {
        return new PinningGuard("tofu-client-");
    }

    static PinningGuard serverThreads() {
        return new PinningGuard("tofu-server-");
    }

    static Message text(Client client, String s) {
        Message m = client.newMessage();
        m.body().append(s.getBytes(StandardCharsets.UTF_8));
        return m;
    }

    static Message text(Server server, String s) {
        Message m = server.newMessage();
        m.body().append(s.getBytes(StandardCharsets.UTF_8));
        return m;
    }

    static Message fill(Message m, String s) {
        m.body().append(s.getBytes(StandardCharsets.UTF_8));
        return m;
    }

    static String text(Message m) {
        return new String(m.body().toByteArray(), StandardCharsets.UTF_8);
    }

    /** Calls {@code s} and returns the response body as text, closing the response. */
    static String call(Client client, String s) {
        try (Message r = client.call(text(client, s), CALL)) {
            return text(r);
        }
    }

    /**
     * Raises {@code max} to {@code value} if larger. A plain CAS loop rather than
     * {@code accumulateAndGet(v, Math::max)}: a lambda first linked concurrently on several handler
     * threads makes them contend for a class-loading lock, which pins (and the guard would see it).
     */
    static void raiseTo(AtomicInteger max, int value) {
        int seen;
        while ((seen = max.get()) < value && !max.compareAndSet(seen, value)) {
            Thread.onSpinWait();
        }
    }

    static long crc(byte[]... parts) {
        CRC32 c = new CRC32();
        for (byte[] p : parts) {
            c.update(p);
        }
        return c.getValue();
    }

    /** Awaits a latch the test controls; fails the test after 20 s. */
    static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(20, TimeUnit.SECONDS), "latch not released within 20 s");
    }

    /** What one of {@link #callers}' threads does, given its index. */
    @FunctionalInterface
    interface CallerBody {
        void run(int caller) throws Exception;
    }

    /** Runs {@code body} on {@code n} virtual threads at once and waits for all; rethrows the first failure. */
    static void callers(int n, CallerBody body) throws Exception {
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> done = new ArrayList<>(n);
            for (int c = 0; c < n; c++) {
                int caller = c;
                done.add(pool.submit(() -> {
                    body.run(caller);
                    return null;
                }));
            }
            all(done);
        }
    }

    /** Waits for every future; rethrows the first failure. */
    static <T> List<T> all(List<Future<T>> futures) throws Exception {
        List<T> out = new ArrayList<>(futures.size());
        for (Future<T> f : futures) {
            try {
                out.add(f.get(60, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception x) {
                    throw x;
                }
                throw e;
            }
        }
        return out;
    }
}
