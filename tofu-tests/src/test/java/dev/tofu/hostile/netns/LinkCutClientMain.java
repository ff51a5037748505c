package dev.tofu.hostile.netns;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * The client {@link LinkCutTest} runs in namespace B: one channel to the echo server, numbered
 * requests (ids 1, 2, 3, … in post order) each carrying a pseudo-random body derived from its id and
 * a CRC-32 of it in the {@code x-crc} text header, at most {@code window} unanswered at a time. Every
 * echo is checked: a Response, the next id in order (so each message exactly once and in order on
 * the channel), its body and checksum intact. Messages the engine returns in the close bundle are
 * checked to be a contiguous run of ids in post order.
 *
 * <p>Commands on standard input: {@code STOP} (post nothing more), {@code BURST <n>} (post n more at
 * once, ignoring the window; at most 16,384 may wait to be written). Output lines: {@code CONNECTED}; {@code PROGRESS <echoed>} every
 * {@code progressEvery} echoes; {@code DRAINED sent=… echoed=…} once posting stopped (STOP or
 * {@code limit}) and every request was answered, after which the client posts a ByeRequest if
 * {@code bye} is true, else stays quiet; on its channel's close Signal {@code CLOSED <reason>
 * returned=<n>} and {@code DONE sent=… echoed=… returned=… firstReturned=… lastReturned=…
 * outOfOrder=… duplicates=… corrupt=… returnedOutOfOrder=… refused=… statuses=[…] maxStallMs=…}, then
 * exit 0 ({@code refused} counts posts the engine refused; each also prints {@code REFUSED …}).
 * {@code maxStallMs} is the longest time between two echoes (or from the first post to the first
 * echo). Exit code 1 after {@code ERROR …}, 3 when the test is gone (standard input closed).
 *
 * <p>Usage: {@code LinkCutClientMain <~bound_to> <body bytes> <window> <limit, 0 = until STOP>
 * <bye true|false> <idle timeout ms> <keepalive s> <progress every>}.
 */
public final class LinkCutClientMain {
    /** Text header with the CRC-32 of the body, in hex. */
    static final String CRC = "x-crc";

    private final Ampe ampe;
    private final ChannelGroup group;
    private final int bodyBytes;
    private int channel;
    private long sent; // the last id posted
    private long echoed; // the last id echoed in order
    private long returned;
    private long firstReturned;
    private long lastReturned;
    private long outOfOrder;
    private long duplicates;
    private long corrupt;
    private long returnedOutOfOrder;
    private long refused;
    private final Set<Status> statuses = EnumSet.noneOf(Status.class);
    private long lastEchoAt;
    private long maxStall;
    private boolean postingEnded; // the channel refused a post: it is closing

    private LinkCutClientMain(Ampe ampe, ChannelGroup group, int bodyBytes) {
        this.ampe = ampe;
        this.group = group;
        this.bodyBytes = bodyBytes;
    }

    public static void main(String[] args) {
        Address server = Address.parse(args[0]);
        int bodyBytes = Integer.parseInt(args[1]);
        int window = Integer.parseInt(args[2]);
        long limit = Long.parseLong(args[3]);
        boolean bye = Boolean.parseBoolean(args[4]);
        long idleMs = Long.parseLong(args[5]);
        long keepAliveS = Long.parseLong(args[6]);
        long progressEvery = Long.parseLong(args[7]);
        Queue<String> commands = ChildIo.commands();
        // room for a whole burst in the channel's queue, whatever the default limit is
        Options options = ChildIo.withTimeouts(Options.DEFAULT.withMaxOutboundPerChannel(16_384), idleMs, keepAliveS);
        try (Reactor reactor = Reactor.create(options)) {
            Ampe ampe = reactor.ampe();
            LinkCutClientMain c = new LinkCutClientMain(ampe, ampe.create(), bodyBytes);
            c.connect(server);
            c.run(reactor, commands, window, limit, bye, progressEvery);
        } catch (RuntimeException e) {
            ChildIo.fail("client " + e);
        }
        System.exit(0);
    }

    private void connect(Address server) {
        Message hello = ampe.get(AllocationStrategy.ALWAYS);
        server.format(hello);
        channel = group.post(hello).channel();
        Message r = group.waitReceive(Duration.ofSeconds(30));
        if (r == null || r.opCode() != OpCode.HELLO_RESPONSE || r.status() != Status.SUCCESS) {
            ChildIo.fail("hello " + r);
        }
        r.close();
        ChildIo.say("CONNECTED");
    }

    private void run(Reactor reactor, Queue<String> commands, int window, long limit, boolean bye, long progressEvery) {
        boolean stopped = false;
        boolean drained = false;
        lastEchoAt = System.nanoTime();
        while (true) {
            long burst = 0;
            for (String cmd; (cmd = commands.poll()) != null; ) {
                if (cmd.equals("STOP")) {
                    stopped = true;
                } else if (cmd.startsWith("BURST ")) {
                    burst += Long.parseLong(cmd.substring(6).trim());
                }
            }
            stopped |= limit > 0 && sent >= limit;
            while (!stopped && !postingEnded && sent - echoed < window) {
                post();
            }
            for (; burst > 0 && !postingEnded; burst--) {
                post();
            }
            if (stopped && !drained && echoed == sent) {
                drained = true;
                ChildIo.say("DRAINED sent=" + sent + " echoed=" + echoed);
                if (bye) {
                    Message m = ampe.get(AllocationStrategy.ALWAYS);
                    group.post(m.opCode(OpCode.BYE_REQUEST).channel(channel).messageId(Long.MAX_VALUE));
                }
            }
            Message m = group.waitReceive(Duration.ofMillis(50));
            if (m == null) {
                continue;
            }
            try {
                if (m.channel() != channel) {
                    ChildIo.fail("message for another channel " + m);
                }
                if (m.origin() == Origin.ENGINE && m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED) {
                    String reason = statuses.size() == 1 ? statuses.iterator().next().name() : LinkCutServerMain.recordedReason(reactor);
                    ChildIo.say("CLOSED " + reason + " returned=" + returned);
                    ChildIo.say("DONE sent=" + sent + " echoed=" + echoed + " returned=" + returned
                            + " firstReturned=" + firstReturned + " lastReturned=" + lastReturned
                            + " outOfOrder=" + outOfOrder + " duplicates=" + duplicates + " corrupt=" + corrupt
                            + " returnedOutOfOrder=" + returnedOutOfOrder + " refused=" + refused + " statuses=" + statuses.toString().replace(" ", "")
                            + " maxStallMs=" + maxStall / 1_000_000);
                    return;
                }
                if (m.origin() == Origin.ENGINE) {
                    if (m.opCode() == OpCode.REQUEST) {
                        returned(m);
                    }
                } else if (m.opCode() == OpCode.RESPONSE) {
                    echoed(m);
                    if (progressEvery > 0 && echoed % progressEvery == 0) {
                        ChildIo.say("PROGRESS " + echoed);
                    }
                }
            } finally {
                m.close();
            }
        }
    }

    private void post() {
        long id = sent + 1;
        byte[] body = body(id, bodyBytes);
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        m.opCode(OpCode.REQUEST).channel(channel).messageId(id);
        m.headers().append(CRC, Long.toHexString(crc(body)));
        m.body().append(body);
        try {
            group.post(m);
            sent = id;
        } catch (TofuException e) {
            m.close();
            postingEnded = true; // the channel is closing: its bundle and close Signal follow
            refused++;
            ChildIo.say("REFUSED id=" + id + " status=" + e.status() + " " + e.getMessage());
        }
    }

    private void echoed(Message m) {
        long now = System.nanoTime();
        maxStall = Math.max(maxStall, now - lastEchoAt);
        lastEchoAt = now;
        long id = m.messageId();
        if (id <= echoed) {
            duplicates++;
            return;
        }
        if (id != echoed + 1) {
            outOfOrder++;
        }
        echoed = id;
        if (!intact(m)) {
            corrupt++;
        }
    }

    private void returned(Message m) {
        statuses.add(m.status());
        long id = m.messageId();
        if (returned > 0 && id != lastReturned + 1) {
            returnedOutOfOrder++;
        }
        if (returned == 0) {
            firstReturned = id;
        }
        lastReturned = id;
        returned++;
        if (!intact(m)) {
            corrupt++;
        }
    }

    private static boolean intact(Message m) {
        ByteBuffer b = m.body().asReadOnlyBuffer();
        byte[] got = new byte[b.remaining()];
        b.get(got);
        String crc = m.headers().get(CRC);
        return crc != null && crc.equals(Long.toHexString(crc(got)))
                && java.util.Arrays.equals(got, body(m.messageId(), got.length));
    }

    static byte[] body(long id, int length) {
        byte[] b = new byte[length];
        new SplittableRandom(id).nextBytes(b);
        return b;
    }

    static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }
}
