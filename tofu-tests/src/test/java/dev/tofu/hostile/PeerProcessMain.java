package dev.tofu.hostile;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Status;

import java.time.Duration;

/**
 * The peer that {@link PeerDeathTest} runs in a second JVM: connects {@code channels} client channels
 * to the address given (a {@code ~bound_to} value), tagging each HelloRequest with
 * {@code x-tag: <tag>}, prints {@code connected} once every HelloResponse arrived, then streams
 * requests on every channel until the process is killed.
 *
 * <p>Usage: {@code java -cp … dev.tofu.hostile.PeerProcessMain <address> <channels> <tag>}
 */
public final class PeerProcessMain {
    private PeerProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        Address server = Address.parse(args[0]);
        int channels = Integer.parseInt(args[1]);
        String tag = args[2];
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            int[] chs = new int[channels];
            for (int i = 0; i < channels; i++) {
                Message m = ampe.get(AllocationStrategy.ALWAYS);
                server.format(m);
                m.headers().append(EchoServer.TAG, tag);
                chs[i] = g.post(m).channel();
            }
            int connected = 0;
            while (connected < channels) {
                Message m = g.waitReceive(Duration.ofSeconds(10));
                if (m == null) {
                    System.out.println("timeout");
                    System.exit(2);
                }
                if (m.opCode() == OpCode.HELLO_RESPONSE && m.status() == Status.SUCCESS) {
                    connected++;
                }
                m.close();
            }
            System.out.println("connected");
            System.out.flush();
            long id = 1;
            while (true) {
                for (int ch : chs) {
                    Message m = ampe.get(AllocationStrategy.ALWAYS);
                    m.opCode(OpCode.REQUEST).channel(ch).messageId(id++);
                    m.body().append(("stream " + id).getBytes());
                    g.post(m);
                }
                for (int i = 0; i < chs.length; i++) {
                    Message r = g.waitReceive(Duration.ofSeconds(5));
                    if (r != null) {
                        r.close();
                    }
                }
            }
        }
    }
}
