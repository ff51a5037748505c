package dev.tofu.stress.load;

import java.io.PrintStream;

/**
 * The live progress line on stderr: elapsed time, measurement, messages, current rate, errors.
 * On a terminal it rewrites one line twice a second; otherwise (CI logs) it prints a line every
 * five seconds. Runs on one daemon platform thread.
 */
public final class Progress implements AutoCloseable {
    private final PrintStream out = System.err;
    private final boolean terminal;
    private final boolean enabled;
    private final long started = System.nanoTime();
    private volatile String label;
    private volatile Stats stats;
    private volatile java.util.function.Supplier<String> custom; // soak: its own line after the elapsed time
    private final Thread thread;
    private int lastWidth;

    /** @param enabled false for no progress output at all */
    public Progress(boolean enabled) {
        this.enabled = enabled;
        this.terminal = isTerminal();
        this.thread = Thread.ofPlatform().daemon().name("progress").start(this::loop);
    }

    private static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null || System.getenv("CI") != null) {
            return false;
        }
        try { // JDK 22+: System.console() exists even when redirected; ask it
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** Shows {@code stats} under {@code label} until the next call (null: nothing running). */
    public void show(String label, Stats stats) {
        this.label = label;
        this.stats = stats;
    }

    /**
     * Shows the line {@code line} supplies (called on the progress thread twice a second) after the
     * elapsed time, instead of a measurement's counters; null: back to {@link #show(String, Stats)}.
     */
    public void show(java.util.function.Supplier<String> line) {
        this.custom = line;
    }

    /** Prints a line of its own (clearing the progress line first). */
    public synchronized void println(String line) {
        clear();
        out.println(line);
    }

    private synchronized void clear() {
        if (terminal && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            lastWidth = 0;
        }
    }

    private void loop() {
        long lastMsgs = 0;
        long lastT = System.nanoTime();
        long lastPrint = 0;
        Stats lastStats = null;
        while (true) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            Stats s = stats;
            String l = label;
            java.util.function.Supplier<String> c = custom;
            if (!enabled || c == null && (s == null || l == null)) {
                continue;
            }
            long now = System.nanoTime();
            if (c != null) {
                print(String.format("[%6.1fs] %s", (now - started) / 1e9, c.get()), now, lastPrint);
                if (!terminal && now - lastPrint >= 5_000_000_000L) {
                    lastPrint = now;
                }
                continue;
            }
            long msgs = s.allMsgs.sum();
            if (s != lastStats) {
                lastStats = s;
                lastMsgs = 0;
            }
            double rate = (msgs - lastMsgs) / ((now - lastT) / 1e9);
            lastMsgs = msgs;
            lastT = now;
            String line = String.format("[%6.1fs] %-40s %,12d msgs %,11.0f msg/s %,d errors",
                    (now - started) / 1e9, l, msgs, rate, s.errors());
            print(line, now, lastPrint);
            if (!terminal && now - lastPrint >= 5_000_000_000L) {
                lastPrint = now;
            }
        }
    }

    /** On a terminal rewrites the line; otherwise prints it when 5 s passed since {@code lastPrint}. */
    private synchronized void print(String line, long now, long lastPrint) {
        if (terminal) {
            out.print("\r" + line);
            lastWidth = line.length();
            out.flush();
        } else if (now - lastPrint >= 5_000_000_000L) {
            out.println(line);
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        clear();
    }
}
