package dev.tofu.stress.load;

/**
 * The shape of one measurement.
 *
 * @param workload       which workload
 * @param channels       connections open at once (churn: connections cycling at once)
 * @param inFlight       messages (stream: chunks) in flight per connection
 * @param size           payload bytes per message (stream: bytes per whole message)
 * @param chunk          largest bytes per sent message (stream: at most 65535; others: = size)
 * @param perConnection  fanin: messages per channel; churn: round trips per connection; else 0
 * @param warmupMillis   load before measuring (not counted in rates or latency)
 * @param durationMillis measured time (fanin: ignored, it runs until every channel is done)
 * @param offeredRate    rate: messages per second offered over all channels; else 0
 */
public record LoadSpec(Workload workload, int channels, int inFlight, int size, int chunk, int perConnection,
                       long warmupMillis, long durationMillis, long offeredRate) {
    /** Largest payload the library allows in one message. */
    public static final int MAX_CHUNK = 65535;

    public LoadSpec {
        if (channels < 1 || inFlight < 1 || size < 8 || chunk < 8 || chunk > MAX_CHUNK || chunk > size) {
            throw new IllegalArgumentException("bad load shape: channels " + channels + ", in flight " + inFlight
                    + ", size " + size + " (>= 8), chunk " + chunk + " (8..65535)");
        }
        if (workload == Workload.RATE && offeredRate < 1) {
            throw new IllegalArgumentException("rate: offered rate " + offeredRate + " (>= 1 message/s)");
        }
    }

    /** A shape without an offered rate (every workload but rate). */
    public LoadSpec(Workload workload, int channels, int inFlight, int size, int chunk, int perConnection,
                    long warmupMillis, long durationMillis) {
        this(workload, channels, inFlight, size, chunk, perConnection, warmupMillis, durationMillis, 0);
    }

    /** rate: nanoseconds between two intended sends on one channel. */
    public double intervalNanos() {
        return channels * 1e9 / offeredRate;
    }

    /** Chunks per message (1 except for stream). */
    public int chunksPerMessage() {
        return (size + chunk - 1) / chunk;
    }

    /** A short description for tables, such as "pipeline 16ch x64 64B". */
    public String label() {
        return switch (workload) {
            case PINGPONG -> "pingpong " + bytes(size);
            case PIPELINE -> "pipeline " + channels + "ch x" + inFlight + " " + bytes(size);
            case FANIN -> "fanin " + channels + "ch x" + perConnection + " " + bytes(size);
            case STREAM -> "stream " + channels + "ch " + bytes(size) + "/" + bytes(chunk) + " x" + inFlight;
            case CHURN -> "churn " + channels + "ch x" + perConnection + " " + bytes(size);
            case RATE -> "rate " + channels + "ch " + bytes(size) + " @" + String.format(java.util.Locale.ROOT, "%,d", offeredRate) + "/s";
            case IDLE -> "idle " + channels + "ch";
        };
    }

    /** The label without the offered rate: the rate steps of one shape share it (charts, summaries). */
    public String family() {
        return workload == Workload.RATE ? "rate " + channels + "ch " + bytes(size) : label();
    }

    /** "64B", "16KiB", "1MiB". */
    public static String bytes(long n) {
        if (n >= 1 << 20 && n % (1 << 20) == 0) {
            return n / (1 << 20) + "MiB";
        }
        if (n >= 1024 && n % 1024 == 0) {
            return n / 1024 + "KiB";
        }
        return n + "B";
    }

    /** Same shape with other timings. */
    public LoadSpec withTimes(long warmup, long duration) {
        return new LoadSpec(workload, channels, inFlight, size, chunk, perConnection, warmup, duration, offeredRate);
    }
}
