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
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reader's spin before it parks (Options.readSpin): it ends as soon as the socket has bytes;
 * after a failed spin it backs off only when the channel is quiet (the wait lasted over a
 * millisecond more than the spin); on a busy channel failed spins are paid from a budget that
 * successes refill and that the shared window does not charge; it never spins beyond the shared
 * slots or while more readers are busy than there are slots, and never keeps a slot it took.
 */
@Timeout(30)
class ReadSpinTest {
    private static final long LONG_SPIN = TimeUnit.SECONDS.toNanos(5); // never reached when bytes come
    private static final long SHORT_SPIN = TimeUnit.MICROSECONDS.toNanos(200);
    private static final long SPIN = TimeUnit.MICROSECONDS.toNanos(50);
    private static final long QUIET_GAP = SPIN + ReadSpin.QUIET_NANOS + TimeUnit.MILLISECONDS.toNanos(1);
    private static final long BUSY_GAP = TimeUnit.MICROSECONDS.toNanos(120);

    /**
     * A test's nanoTime: every read moves it on by a microsecond, so a spin ends after its window
     * in probe checks rather than in wall time. It starts just after a shared window, with 15 ms to
     * go before the next one.
     */
    private static final class Clock implements LongSupplier {
        long now = 5L << ReadSpin.WINDOW_PERIOD_SHIFT | 1L << ReadSpin.WINDOW_SHIFT;

        @Override
        public long getAsLong() {
            return now += 1_000;
        }

        /** The next wait begins {@code gap} after the previous one began at {@code from}; returns its start. */
        long next(long from, long gap) {
            now = from + gap - 1_000;
            return from + gap;
        }
    }

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
    void onAQuietChannelFailedSpinsBackOffOneThreeSevenUpToSixtyFourWaitsAndABusyWaitEndsThat() throws IOException {
        SpinSlots slots = new SpinSlots(2);
        Probe probe = new Probe(Integer.MAX_VALUE);
        Clock clock = new Clock();
        ReadSpin spin = new ReadSpin(SPIN, probe, slots, clock);
        long start = clock.now;
        List<Integer> parkedWithoutSpinning = new ArrayList<>();
        int parked = 0;
        for (int wait = 0; parkedWithoutSpinning.size() < 8; wait++) {
            int checks = probe.checks.get();
            start = clock.next(start, QUIET_GAP); // every wait lasts over a millisecond: a quiet channel
            assertFalse(spin.awaitReadable(), "nothing ever readable");
            if (probe.checks.get() == checks) {
                parked++;
            } else {
                if (wait > 0) {
                    parkedWithoutSpinning.add(parked);
                }
                parked = 0;
            }
        }
        assertEquals(List.of(1, 3, 7, 15, 31, 63, 64, 64), parkedWithoutSpinning,
                "doubling back-off, capped at " + ReadSpin.MAX_BACKOFF);
        assertEquals(0, slots.spinning());

        start = clock.next(start, QUIET_GAP);
        assertFalse(spin.awaitReadable(), "the failed spin before this wait was followed by a quiet wait: backing off");
        assertTrue(spin.skipping() > 0);
        int checks = probe.checks.get();
        start = clock.next(start, BUSY_GAP);
        assertFalse(spin.awaitReadable());
        assertTrue(probe.checks.get() > checks, "a wait shorter than a millisecond (a busy channel) ends the back-off: it spins");
        assertEquals(0, spin.skipping());
    }

    @Test
    void aFailedSpinFollowedByAShortWaitDoesNotBackOff() throws IOException {
        Probe probe = new Probe(Integer.MAX_VALUE);
        Clock clock = new Clock();
        ReadSpin spin = new ReadSpin(SPIN, probe, new SpinSlots(2), clock);
        long start = clock.now;
        for (int i = 0; i < 100; i++) { // the peer answers in 120 µs: every spin fails, none backs off
            int checks = probe.checks.get();
            start = clock.next(start, BUSY_GAP);
            assertFalse(spin.awaitReadable());
            assertTrue(probe.checks.get() > checks, "wait " + i + " spun");
            assertEquals(0, spin.skipping());
        }
        assertEquals(ReadSpin.BUDGET_SPINS - 100, spin.budgetSpins(), "each failure took one spin from the budget");
    }

    @Test
    void occasionalFailuresOnABusyChannelNeverStopTheSpinning() throws IOException {
        Probe probe = new Probe(0);
        Clock clock = new Clock();
        ReadSpin spin = new ReadSpin(SPIN, probe, new SpinSlots(2), clock);
        long start = clock.now;
        for (int i = 0; i < 10_000; i++) {
            boolean fails = i % 10 == 0; // one wait in ten outlasts the spin (the peer was preempted, say)
            probe.emptyChecks = fails ? Integer.MAX_VALUE : probe.checks.get();
            int checks = probe.checks.get();
            start = clock.next(start, BUSY_GAP);
            assertEquals(!fails, spin.awaitReadable());
            assertTrue(probe.checks.get() > checks, "wait " + i + " spun");
        }
        assertEquals(ReadSpin.BUDGET_SPINS, spin.budgetSpins(), "successes paid the failures back");
    }

    @Test
    void aSpentBudgetStopsTheSpinningOutsideTheSharedWindowAndTheWindowRestartsIt() throws IOException {
        SpinSlots slots = new SpinSlots(2);
        Probe probe = new Probe(Integer.MAX_VALUE);
        Clock clock = new Clock();
        ReadSpin spin = new ReadSpin(SPIN, probe, slots, clock);
        long start = clock.now;
        for (int i = 0; i < ReadSpin.BUDGET_SPINS * 2 && spin.budgetSpins() > 0; i++) {
            start = clock.next(start, BUSY_GAP);
            assertFalse(spin.awaitReadable());
        }
        assertEquals(0, spin.budgetSpins(), "failures outside the window spent the budget");
        int inWindow = 0;
        for (int i = 0; i < 1_000; i++) { // 120 ms: windows come and go
            int checks = probe.checks.get();
            start = clock.next(start, BUSY_GAP);
            boolean window = ReadSpin.inSharedWindow(start);
            assertFalse(spin.awaitReadable());
            assertEquals(window, probe.checks.get() > checks,
                    "without budget a reader spins in the shared window only (wait " + i + ")");
            inWindow += window ? 1 : 0;
            assertEquals(0, spin.budgetSpins(), "failures in the window cost nothing, and nothing else refills the budget");
            assertEquals(0, spin.skipping(), "nor is it backing off: the channel is busy");
        }
        assertTrue(inWindow > 0 && inWindow < 200, "some waits began in a window: " + inWindow);

        do { // on to the next window, a busy wait at a time
            start = clock.next(start, BUSY_GAP);
            if (ReadSpin.inSharedWindow(start)) {
                break;
            }
            assertFalse(spin.awaitReadable());
        } while (true);
        probe.emptyChecks = probe.checks.get() + 3; // the peer spins in the window too: its answer comes
        assertTrue(spin.awaitReadable(), "in the shared window it spins whatever its budget");
        assertEquals(1, spin.budgetSpins(), "a success pays for one more spin");
        probe.emptyChecks = probe.checks.get(); // from now on every answer comes within the spin
        for (int i = 0; i < 1_000; i++) {
            start = clock.next(start, BUSY_GAP);
            assertTrue(spin.awaitReadable(), "spinning and succeeding, in the window or not");
        }
        assertEquals(ReadSpin.BUDGET_SPINS, spin.budgetSpins(), "the budget is full again, up to its cap");
        assertEquals(0, slots.spinning());
    }

    @Test
    void theSharedWindowIsTheFirstMillisecondOfEverySeventeen() {
        long period = 1L << ReadSpin.WINDOW_PERIOD_SHIFT;
        long window = 1L << ReadSpin.WINDOW_SHIFT;
        for (long p : new long[] {0, 1, 12_345, Long.MAX_VALUE / period}) {
            long at = p * period;
            assertTrue(ReadSpin.inSharedWindow(at));
            assertTrue(ReadSpin.inSharedWindow(at + window - 1));
            assertFalse(ReadSpin.inSharedWindow(at + window));
            assertFalse(ReadSpin.inSharedWindow(at + period - 1));
        }
        assertTrue(ReadSpin.inSharedWindow(-period), "nanoTime may be negative: the same rule on its bits");
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
