package dev.tofu.hostile.netns;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the two child mains of {@link LinkCutTest} share: one line per event on standard output
 * (flushed at once, so the test can time it), and commands from the test on standard input.
 *
 * <p>Threads: one daemon platform thread reads standard input and queues its lines for the main
 * thread ({@link #commands}); when standard input ends (the test JVM died, even by SIGKILL) it halts
 * the process, so no child outlives its test and keeps a namespace alive.
 */
final class ChildIo {
    private ChildIo() {
    }

    /** Prints one machine-readable line and flushes it. */
    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Starts the standard-input reader; returns the queue of received command lines. */
    static Queue<String> commands() {
        Queue<String> q = new ConcurrentLinkedQueue<>();
        Thread t = Thread.ofPlatform().daemon().name("stdin-watch").unstarted(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    q.add(line.trim());
                }
            } catch (Exception ignored) {
                // treated as the end of input
            }
            Runtime.getRuntime().halt(3); // the test is gone
        });
        t.start();
        return q;
    }

    /** Prints {@code ERROR <why>} and exits with code 1. */
    static void fail(String why) {
        say("ERROR " + why);
        Runtime.getRuntime().halt(1);
    }

    /** {@code base} with the idle timeout and TCP keepalive the test asked for (0: off). */
    static dev.tofu.Options withTimeouts(dev.tofu.Options base, long idleMs, long keepAliveS) {
        dev.tofu.Options options = base;
        if (idleMs > 0) {
            options = options.withIdleTimeout(java.time.Duration.ofMillis(idleMs));
        }
        if (keepAliveS > 0) {
            options = options.withKeepAlive(java.time.Duration.ofSeconds(keepAliveS));
        }
        return options;
    }
}
