package dev.tofu.engine;

import dev.tofu.internal.io.ReadSpin;
import dev.tofu.internal.concurrent.SpinSlots;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reader's spin before it parks (Options.readSpin): it ends as soon as the socket has bytes,
 * gives up after its window and then backs off, never spins beyond the shared slots or while more
 * readers are busy than there are slots, and never keeps a slot it took.
 */
@Timeout(30)
class ReadSpinTest {
    private static final long LONG_SPIN = TimeUnit.SECONDS.toNanos(5); // never reached when bytes come
    private static final long SHORT_SPIN = TimeUnit.MICROSECONDS.toNanos(200);

    /** A probe reporting nothing readable for its first {@code emptyChecks} checks, then one byte. */
    private static final class Probe extends InputStream {
        final AtomicInteger checks = new AtomicInteger();
        volatile int emptyChecks;

        Probe(int emptyChecks) {
            this.emptyChecks = emptyChecks;
        }

        @Override
        public int available() {
            return checks.incrementAndGet() > emptyChecks ? 1 : 0;
        }

        @Override
        public int read() {
            throw new AssertionError("the spin never reads; the reader's next read does");
        }
    }

    @Test
    void aSpinEndsAsSoonAsBytesAreReadableAndGivesItsSlotBack() throws IOException {
        SpinSlots slots = new SpinSlots(2);
        Probe probe = new Probe(1_000);
        ReadSpin spin = new ReadSpin(LONG_SPIN, probe, slots);
        assertTrue(spin.awaitReadable(), "bytes came within the window");
        assertEquals(1_001, probe.checks.get(), "checked until the first readable answer, not once more");
        assertEquals(0, slots.spinning(), "the slot is given back");
        assertEquals(0, spin.skipping(), "a success does not back off");
    }

    @Test
    void failedSpinsBackOffOneThreeSevenUpToSixtyFourWaitsAndASuccessResetsThat() throws IOException {
        SpinSlots slots = new SpinSlots(2);
        Probe probe = new Probe(Integer.MAX_VALUE);
        ReadSpin spin = new ReadSpin(SHORT_SPIN, probe, slots);
        List<Integer> skips = new ArrayList<>();
        for (int failure = 0; failure < 8; failure++) {
            int before = probe.checks.get();
            assertFalse(spin.awaitReadable(), "nothing ever readable");
            assertTrue(probe.checks.get() > before, "the spin checked the socket");
            int skip = spin.skipping();
            skips.add(skip);
            for (int i = 0; i < skip; i++) {
                int checks = probe.checks.get();
                assertFalse(spin.awaitReadable(), "a backing-off wait parks at once");
                assertEquals(checks, probe.checks.get(), "a backing-off wait does not check the socket");
            }
            assertEquals(0, spin.skipping());
        }
        assertEquals(List.of(1, 3, 7, 15, 31, 63, 64, 64), skips, "doubling back-off, capped at " + ReadSpin.MAX_BACKOFF);
        assertEquals(0, slots.spinning());

        probe.emptyChecks = probe.checks.get(); // readable from the next check on
        assertTrue(spin.awaitReadable());
        probe.emptyChecks = Integer.MAX_VALUE;
        assertFalse(spin.awaitReadable());
        assertEquals(1, spin.skipping(), "the success reset the back-off");
    }

    @Test
    void aReaderFindingEverySlotTakenParksAtOnceAndSpinningStaysOffForAWhile() throws IOException {
        SpinSlots slots = new SpinSlots(1);
        long now = System.nanoTime();
        assertTrue(slots.tryTake(now), "a free slot");
        Probe probe = new Probe(0);
        ReadSpin spin = new ReadSpin(LONG_SPIN, probe, slots);
        long beforeMiss = System.nanoTime();
        assertFalse(spin.awaitReadable(), "no slot: park at once");
        long afterMiss = System.nanoTime();
        assertEquals(0, probe.checks.get(), "without a slot the socket is not even checked");
        assertEquals(0, spin.skipping(), "a missing slot is not a failed spin");
        slots.release();
        assertEquals(0, slots.spinning());

        assertTrue(slots.crowded(beforeMiss), "a reader found every slot taken: spinning is off");
        assertFalse(slots.tryTake(beforeMiss), "still off although the slot is free again");
        long expired = afterMiss + SpinSlots.CROWDED_NANOS + 1;
        assertFalse(slots.crowded(expired), "off only for a while");
        assertTrue(slots.tryTake(expired), "then a slot can be taken again");
        slots.release();
    }

    @Test
    void spinningIsOffWhileMoreReadersAreBusyThanThereAreSlots() {
        SpinSlots slots = new SpinSlots(2);
        long period = 1_000;
        long now = period << SpinSlots.PERIOD_SHIFT;
        assertEquals(period, SpinSlots.period(now));
        slots.arrive(period);
        slots.arrive(period);
        assertEquals(2, slots.busyReaders(now));
        assertFalse(slots.crowded(now), "two busy readers, two slots");
        slots.arrive(period);
        assertTrue(slots.crowded(now), "three busy readers, two slots");
        assertFalse(slots.tryTake(now), "no spin while crowded");
        assertEquals(0, slots.spinning());

        long next = (period + 1) << SpinSlots.PERIOD_SHIFT;
        assertEquals(3, slots.busyReaders(next), "the previous period still counts");
        assertTrue(slots.crowded(next));
        slots.arrive(period + 1);
        assertEquals(3, slots.busyReaders(next), "the previous period's count is kept when a new one starts");
        assertTrue(slots.crowded(next));

        long later = (period + 2) << SpinSlots.PERIOD_SHIFT;
        assertEquals(1, slots.busyReaders(later), "one reader in the period before");
        assertFalse(slots.crowded(later));
        long muchLater = (period + 5) << SpinSlots.PERIOD_SHIFT;
        assertEquals(0, slots.busyReaders(muchLater), "nobody busy lately");
        assertTrue(slots.tryTake(muchLater));
        slots.release();
    }

    @Test
    void aReaderCountsOncePerPeriodHoweverOftenItWaits() throws IOException {
        SpinSlots slots = new SpinSlots(2);
        ReadSpin spin = new ReadSpin(LONG_SPIN, new Probe(0), slots);
        for (int i = 0; i < 1_000; i++) {
            assertTrue(spin.awaitReadable());
        }
        long now = System.nanoTime();
        assertTrue(slots.busyReaders(now) <= 1, "one reader counts once per period however often it waits: " + slots.busyReaders(now));
        assertFalse(slots.crowded(now), "one busy reader never crowds two slots");
    }

    @Test
    void aFailingProbeGivesTheSlotBack() {
        SpinSlots slots = new SpinSlots(1);
        InputStream closed = new InputStream() {
            @Override
            public int available() throws IOException {
                throw new IOException("socket closed");
            }

            @Override
            public int read() {
                throw new AssertionError();
            }
        };
        ReadSpin spin = new ReadSpin(LONG_SPIN, closed, slots);
        assertThrows(IOException.class, spin::awaitReadable);
        assertEquals(0, slots.spinning(), "the slot came back although the probe failed");
        assertTrue(slots.tryTake(System.nanoTime()), "and another reader can take it");
        slots.release();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SpinSlots(0));
        assertThrows(IllegalArgumentException.class, () -> new ReadSpin(0, new Probe(0), new SpinSlots(1)));
        assertTrue(SpinSlots.SHARED.max() >= 2, "at least two spinners JVM-wide");
    }
}
