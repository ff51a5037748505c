package dev.tofu.testing;

import dev.tofu.Reactor;
import dev.tofu.internal.engine.Engine;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Leak checks for end-to-end tests. As an extension ({@code @ExtendWith({NoLeaks.class, PinningGuard.class})}) it fails
 * the test class if any engine thread is still alive after it; {@link #assertAtRest(Reactor)} checks
 * a reactor has no open channel and every pooled message is back.
 */
public final class NoLeaks implements AfterAllCallback {
    private static final Duration SETTLE = Duration.ofSeconds(10);

    @Override
    public void afterAll(ExtensionContext context) {
        if (!awaitTrue(() -> Engine.liveThreads() == 0, SETTLE)) {
            fail("engine threads still alive after " + context.getDisplayName() + ": " + Engine.liveThreads());
        }
    }

    /**
     * Asserts, waiting up to 10 s for in-flight closes to settle, that {@code reactor} has no open
     * channel and that every message of its pool is back (the test must have returned every message
     * it received).
     */
    public static void assertAtRest(Reactor reactor) {
        Engine engine = (Engine) reactor.ampe();
        if (!awaitTrue(() -> engine.openChannels() == 0, SETTLE)) {
            fail("channels still open: " + engine.openChannels());
        }
        if (!awaitTrue(() -> engine.pool().outstanding() == 0, SETTLE)) {
            fail("pooled messages not returned: " + engine.pool().outstanding() + " outstanding");
        }
    }

    /** Polls {@code condition} until true or the timeout passes (a deadline, not a fixed sleep). */
    public static boolean awaitTrue(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        return true;
    }
}
