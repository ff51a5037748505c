package dev.tofu.stress.sys;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server JVM's protocol without a second JVM: {@link ServerHost} on pipes starts a system's
 * server half by label, a client half in this test attaches to the endpoint it answers and echoes a
 * message, then leaks, close and stop answer as {@link ServerJvm} expects.
 */
class ServerHostTest {
    @Test
    void aServerHalfStartedByLabelEchoesForAClientHalfGivenItsEndpoint() throws Exception {
        PipedOutputStream commands = new PipedOutputStream();
        BufferedReader hostIn = new BufferedReader(new InputStreamReader(new PipedInputStream(commands), StandardCharsets.UTF_8));
        PipedOutputStream answers = new PipedOutputStream();
        BufferedReader replies = new BufferedReader(new InputStreamReader(new PipedInputStream(answers, 1 << 16), StandardCharsets.UTF_8));
        AtomicInteger exit = new AtomicInteger(-1);
        Thread host = Thread.ofPlatform().start(() -> {
            try {
                exit.set(new ServerHost(new PrintStream(answers, true, StandardCharsets.UTF_8)).serve(hostIn));
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        PrintWriter out = new PrintWriter(commands, true, StandardCharsets.UTF_8);
        assertEquals("READY", answer(replies));

        out.println("start raw-pt/tcp");
        String started = answer(replies);
        assertTrue(started.startsWith("STARTED tcp:"), started);
        out.println("prepare raw-pt/tcp 1 1 64");
        assertEquals("PREPARED -", answer(replies));

        EchoSystem client = Systems.create(List.of("raw-pt/tcp"), new Systems.Context(null)).get(0);
        client.attach(started.substring("STARTED ".length()));
        client.prepare(1, 1, 64);
        Connection c = client.connect();
        byte[] payload = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        c.send(payload, payload.length, 0, false);
        Reply r = new Reply(64);
        assertTrue(c.receive(r, 5_000_000_000L));
        assertArrayEquals(payload, java.util.Arrays.copyOf(r.data, r.length));
        c.close(x -> { });
        client.close();

        out.println("leaks raw-pt/tcp 5000");
        assertEquals("LEAKS 0", answer(replies));
        out.println("cpu");
        assertTrue(Long.parseLong(answer(replies).substring("CPU ".length())) >= 0);
        out.println("prepare nobody/tcp 1 1 64");
        assertTrue(answer(replies).startsWith("ERROR prepare"));
        out.println("close raw-pt/tcp");
        assertEquals("CLOSED", answer(replies));
        out.println("stop");
        assertEquals("STOPPED ok", answer(replies));
        host.join();
        assertEquals(0, exit.get());
    }

    private static String answer(BufferedReader replies) throws IOException {
        String l = replies.readLine();
        assertTrue(l != null && l.startsWith(ServerJvm.TAG), String.valueOf(l));
        return l.substring(ServerJvm.TAG.length());
    }
}
