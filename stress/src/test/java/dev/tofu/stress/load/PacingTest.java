package dev.tofu.stress.load;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The rate workload's schedule and where a latency counts from (coordinated omission). */
class PacingTest {
    @Test
    void intendedTimesFollowTheIntervalWithoutDrift() {
        Pacing p = new Pacing(1_000, 333.3); // 3 channels at 9,000,900 msg/s: a fractional interval
        assertEquals(1_000, p.intended(0));
        assertEquals(1_333, p.intended(1));
        assertEquals(1_000 + 333_300, p.intended(1_000)); // rounded per message, not accumulated
    }

    @Test
    void theIntervalOfASpecSplitsTheOfferedRateOverItsChannels() {
        LoadSpec s = new LoadSpec(Workload.RATE, 16, 1, 64, 64, 0, 0, 1000, 100_000);
        assertEquals(160_000.0, s.intervalNanos(), 1e-9); // each channel sends 6,250 msg/s
        assertEquals("rate 16ch 64B @100,000/s", s.label());
        assertEquals("rate 16ch 64B", s.family());
    }

    @Test
    void aSendTheSystemMadeLateCountsFromItsIntendedTime() {
        // the previous reply came 400 ns after this message's intended time; it went out 410 ns late
        assertEquals(10_000, Pacing.origin(10_000, 10_400, 10_410));
    }

    @Test
    void aSendOnlyTheLoadGeneratorsTimerMadeLateCountsFromTheSend() {
        // the channel was free before the intended time; the parked driver woke 60 µs late
        assertEquals(70_000, Pacing.origin(10_000, 9_000, 70_000));
        assertEquals(10_000, Pacing.origin(10_000, 10_000, 10_000)); // a reply exactly on time: not late
    }

    @Test
    void originSurvivesNanoTimeWrapAround() {
        long intended = Long.MAX_VALUE - 10;
        long reply = intended + 50; // wraps to negative
        assertEquals(intended, Pacing.origin(intended, reply, reply + 5));
    }

    @Test
    void aRateWorkloadNeedsAnOfferedRate() {
        assertThrows(IllegalArgumentException.class, () -> new LoadSpec(Workload.RATE, 1, 1, 64, 64, 0, 0, 1000, 0));
        assertThrows(IllegalArgumentException.class, () -> new Pacing(0, 0));
    }
}
