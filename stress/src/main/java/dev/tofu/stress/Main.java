package dev.tofu.stress;

import dev.tofu.AllocationStrategy;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.FrameWriter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Entry point of the stress harness. Until the harness proper exists it runs a codec-and-pool demo:
 * it builds messages from a pool, encodes them to frames, decodes them back, checks every field and
 * prints what it did; the exit code is non-zero if any message did not round-trip.
 */
public final class Main {
    private Main() {
    }

    /** Runs the demo; {@code --count N} sets how many messages (default 10000). */
    public static void main(String[] args) throws Exception {
        int count = 10_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                System.out.println("usage: harness [--count N]   round-trips N messages through the pool and the wire codec");
                return;
            }
            if (args[i].equals("--count") && i + 1 < args.length) {
                count = Integer.parseInt(args[++i]);
            }
        }
        MessagePool pool = new MessagePool(16, 64);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        var out = Channels.newChannel(wire);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            Message m = pool.get(AllocationStrategy.ALWAYS);
            m.opCode(OpCode.values()[i % 7]).channel(1 + i % 65534).messageId(i + 1L).more(i % 7 < 3 && i % 2 == 0);
            m.headers().append("seq", Integer.toString(i));
            m.body().append(payload(i));
            byte[] frame = FrameWriter.encode(m);
            out.write(java.nio.ByteBuffer.wrap(frame));
            pool.put(m);
        }
        FrameReader reader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(wire.toByteArray())));
        FrameHeader h = new FrameHeader();
        int ok = 0;
        int bad = 0;
        for (int i = 0; i < count; i++) {
            Message m = pool.get(AllocationStrategy.ALWAYS);
            if (!reader.readFrame(h, m)) {
                bad += count - i;
                break;
            }
            boolean same = m.opCode() == OpCode.values()[i % 7] && m.channel() == 1 + i % 65534
                    && m.messageId() == i + 1L && Integer.toString(i).equals(m.headers().get("seq"))
                    && Arrays.equals(payload(i), m.body().toByteArray());
            if (same) {
                ok++;
            } else {
                bad++;
            }
            pool.put(m);
        }
        double ms = (System.nanoTime() - start) / 1e6;
        System.out.printf("codec+pool demo: %d messages, %d bytes on the wire, %d round-tripped, %d bad, %.1f ms; "
                + "pool created %d messages, %d idle%n", count, wire.size(), ok, bad, ms, pool.createdCount(), pool.idleCount());
        if (bad != 0) {
            System.exit(1);
        }
    }

    private static byte[] payload(int i) {
        return ("payload-" + i).repeat(1 + i % 5).getBytes(StandardCharsets.UTF_8);
    }
}
