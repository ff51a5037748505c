package dev.tofu.stress.load;

import java.util.List;

/**
 * The rate workload's verdicts on a system at one offered rate: saturated (it no longer keeps up,
 * so higher rates are skipped), and the highest offered rate it served with p99 under a bound.
 */
public final class RateSteps {
    /** Below this share of the offered rate served, a system counts as saturated. */
    public static final double KEEP_UP = 0.9;

    private RateSteps() {
    }

    /** Whether a system that served {@code achieved} msgs/s at {@code offered} no longer keeps up. */
    public static boolean saturated(double achieved, long offered) {
        return achieved < KEEP_UP * offered;
    }

    /** One step's figures. */
    public record Step(long offered, double achieved, double p99Micros) {
    }

    /**
     * The highest offered rate at which the system kept up and its p99 stayed under
     * {@code p99BoundMicros}, or 0 when there is none.
     */
    public static long highestUnder(List<Step> steps, double p99BoundMicros) {
        long best = 0;
        for (Step s : steps) {
            if (!saturated(s.achieved(), s.offered()) && s.p99Micros() < p99BoundMicros && s.offered() > best) {
                best = s.offered();
            }
        }
        return best;
    }
}
