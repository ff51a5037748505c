package dev.tofu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Options}: pool sizes of PROTOCOL.md §6.1 and the receive queue capacity of API.md. */
class OptionsTest {

    @Test
    void defaultIs16InitialAnd64MaxAndAQueueOf1024() {
        assertSizes(Options.DEFAULT, 16, 64, 1024, "API.md: Options.DEFAULT (16, 64, 1024)");
    }

    @Test
    void zeroMeansTheDefault() {
        assertSizes(Options.of(0, 0), 16, 64, 1024, "PROTOCOL.md §6.1: absent or 0 → default");
        assertEquals(Options.DEFAULT, Options.of(0, 0), "PROTOCOL.md §6.1: of(0, 0) equals DEFAULT");
    }

    @ParameterizedTest(name = "of({0}, {1}) → {2}/{3}")
    @CsvSource({
            "0,     10,    16,    16",    // max below the default initial is raised to it
            "0,     16,    16,    16",
            "0,     100,   16,    100",
            "20,    0,     20,    64",
            "100,   0,     100,   100",   // default max below the initial is raised to it
            "1,     1,     1,     1",
            "5,     7,     5,     7",
            "65535, 65535, 65535, 65535",
            "0,     65535, 16,    65535",
            "65535, 0,     65535, 65535",
    })
    void poolSizesFollowTofu(int initial, int max, int expectedInitial, int expectedMax) {
        assertSizes(Options.of(initial, max), expectedInitial, expectedMax, 1024,
                "PROTOCOL.md §6.1: 0 → default; if max < initial then max := initial");
    }

    @ParameterizedTest(name = "of({0}, {1}) is rejected")
    @CsvSource({
            "-1,    10",
            "10,    -1",
            "-1,    -1",
            "65536, 65536",
            "0,     65536",
            "65536, 0",
            "10,    5",
            "2,     1",
    })
    void negativeOversizedOrInitialAboveMaxIsRejected(int initial, int max) {
        assertThrows(IllegalArgumentException.class, () -> Options.of(initial, max),
                "PROTOCOL.md §6.1 / API.md: non-negative, <= 65535, initial <= max, else IllegalArgumentException");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void receiveQueueCapacityBelowOneIsRejected(int capacity) {
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withReceiveQueueCapacity(capacity),
                "API.md: capacity >= 1, else IllegalArgumentException");
    }

    @Test
    void withReceiveQueueCapacityReturnsAChangedCopy() {
        Options changed = Options.of(4, 8).withReceiveQueueCapacity(1);
        assertSizes(changed, 4, 8, 1, "API.md: withReceiveQueueCapacity copies the other settings");
        assertSizes(Options.DEFAULT.withReceiveQueueCapacity(5), 16, 64, 5, "API.md: with* is a copy");
        assertSizes(Options.DEFAULT, 16, 64, 1024, "API.md: Options is immutable, DEFAULT is unchanged");
    }

    @Test
    void withPoolSizesReturnChangedCopiesKeepingTheQueueCapacity() {
        Options base = Options.DEFAULT.withReceiveQueueCapacity(7);
        Options initial = base.withInitialPoolMsgs(32);
        Options max = base.withMaxPoolMsgs(100);
        assertSizes(initial, 32, 64, 7, "API.md: withInitialPoolMsgs copies the other settings");
        assertSizes(max, 16, 100, 7, "API.md: withMaxPoolMsgs copies the other settings");
        assertSizes(base, 16, 64, 7, "API.md: the original is unchanged");
        assertNotSame(base, initial, "API.md: with* returns a copy");
    }

    @Test
    void withPoolSizesValidateLikeOf() {
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withInitialPoolMsgs(-1), "API.md: non-negative");
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withInitialPoolMsgs(65), "API.md: initial <= max (64)");
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withMaxPoolMsgs(15), "API.md: initial (16) <= max");
        assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withMaxPoolMsgs(65536), "PROTOCOL.md §6.1: 1..65535");
    }

    @Test
    void equalSettingsAreEqualOptions() {
        assertEquals(Options.of(3, 9), Options.of(3, 9), "value semantics");
        assertEquals(Options.of(3, 9).hashCode(), Options.of(3, 9).hashCode(), "value semantics");
    }

    private static void assertSizes(Options o, int initial, int max, int capacity, String rule) {
        assertEquals(initial, o.initialPoolMsgs(), rule + " (initialPoolMsgs)");
        assertEquals(max, o.maxPoolMsgs(), rule + " (maxPoolMsgs)");
        assertEquals(capacity, o.receiveQueueCapacity(), rule + " (receiveQueueCapacity)");
    }
}
