package dev.tofu.stress.load;

/** The workloads of the harness. */
public enum Workload {
    /** One channel, one message in flight: round-trip latency. */
    PINGPONG,
    /** N channels with K messages in flight each: throughput. */
    PIPELINE,
    /** Many channels open at once, a few messages each: scale (connect storm, memory per channel). */
    FANIN,
    /** Large messages split into chunks of at most 65535 bytes linked by {@code more}. */
    STREAM,
    /** Connect, exchange, close, repeat on several channels at once: lifecycle under load. */
    CHURN,
    /**
     * Open loop: N channels, one message in flight each, sent at a fixed schedule of intended times
     * adding up to an offered rate; latency from the intended time when the system made a send late.
     */
    RATE,
    /** N channels open and quiet: what they cost in CPU (percent of one core). */
    IDLE;

    /** Lower-case name. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
