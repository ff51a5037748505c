package dev.tofu.stress.load;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saturation and the highest rate served with p99 under a bound. */
class RateStepsTest {
    @Test
    void aSystemServingUnder90PercentOfTheOfferedRateIsSaturated() {
        assertFalse(RateSteps.saturated(9_000, 10_000));
        assertTrue(RateSteps.saturated(8_999, 10_000));
    }

    @Test
    void theHighestRateCountsOnlyStepsKeptUpWithAndUnderTheBound() {
        List<RateSteps.Step> steps = List.of(
                new RateSteps.Step(10_000, 10_000, 120),
                new RateSteps.Step(20_000, 19_990, 800),
                new RateSteps.Step(40_000, 39_000, 1_500),  // p99 over 1 ms
                new RateSteps.Step(80_000, 50_000, 400));   // p99 fine but did not keep up
        assertEquals(20_000, RateSteps.highestUnder(steps, 1000));
        assertEquals(0, RateSteps.highestUnder(steps, 100));
    }
}
