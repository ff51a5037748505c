package dev.tofu.pinning;

import dev.tofu.testing.PinningGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pinning guard must see a pin when one happens, and only on the threads it watches. */
@Timeout(30)
class PinningGuardTest {
    /** Parking inside a class initialiser pins the carrier on every JDK so far. */
    static final class PinsWhileInitialising {
        static {
            LockSupport.parkNanos(20_000_000L);
        }

        static void touch() {
        }
    }

    static final class AlsoPinsWhileInitialising {
        static {
            LockSupport.parkNanos(20_000_000L);
        }

        static void touch() {
        }
    }

    static final class PinsAgainWhileInitialising {
        static {
            LockSupport.parkNanos(20_000_000L);
        }

        static void touch() {
        }
    }

    @Test
    void guardReportsAPinOnAWatchedVirtualThread() throws Exception {
        PinningGuard.Recorder r = new PinningGuard.Recorder("tofu-ch-guard-test", true);
        r.start();
        Thread t = Thread.ofVirtual().name("tofu-ch-guard-test-1").start(PinsWhileInitialising::touch);
        t.join();
        List<String> pins = r.stop();
        assertFalse(pins.isEmpty(), "a virtual thread parked in a class initialiser pins; the guard must see it");
        assertTrue(pins.get(0).startsWith("tofu-ch-guard-test-1"), pins.toString());
    }

    @Test
    void guardIgnoresOneTimeClassInitialisationPins() throws Exception {
        PinningGuard.Recorder r = new PinningGuard.Recorder("tofu-ch-guard-test");
        r.start();
        Thread t = Thread.ofVirtual().name("tofu-ch-guard-test-2").start(PinsAgainWhileInitialising::touch);
        t.join();
        assertTrue(r.stop().isEmpty(), "a pin inside <clinit> happens once per class and is not counted");
    }

    @Test
    void guardIgnoresThreadsItDoesNotWatch() throws Exception {
        PinningGuard.Recorder r = new PinningGuard.Recorder("tofu-ch-guard-test", true);
        r.start();
        Thread t = Thread.ofVirtual().name("someone-else").start(AlsoPinsWhileInitialising::touch);
        t.join();
        assertTrue(r.stop().isEmpty(), "only threads named with the watched prefix count");
    }
}
