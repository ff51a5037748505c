package dev.tofu.security;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.ReactorStats;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Nothing from the wire reconfigures the engine: text headers starting with {@code ~} that a peer
 * sends ({@code ~connect_to}, {@code ~listen_on}, {@code ~bound_to}) arrive as plain data on the
 * message they came with; the engine opens no channel, connects nowhere and listens nowhere because
 * of them. (Lengths bounded before allocation and unknown opcodes are covered by the fuzz tests and
 * MalformedFramesTest.)
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class WireTrustTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void engineHeadersFromThePeerAreDataAndNeverOpenChannels(Transport t) throws Exception {
        try (ServerSocketChannel canary = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             Reactor reactor = Reactor.create(Options.DEFAULT)) {
            canary.configureBlocking(false);
            int canaryPort = ((InetSocketAddress) canary.getLocalAddress()).getPort();
            Ampe a = reactor.ampe();
            ChannelGroup g = a.create();
            Wire.Listener l = Wire.listen(a, g, t.serverAddress());
            String hostile = Address.CONNECT_TO + ":tcp|127.0.0.1|" + canaryPort + "\r\n"
                    + Address.LISTEN_ON + ":tcp|127.0.0.1|0\r\n"
                    + Address.BOUND_TO + ":tcp|10.0.0.1|1\r\n";
            byte[] headers = hostile.getBytes(StandardCharsets.US_ASCII);
            ReactorStats before;
            try (Raw peer = Raw.connect(l.clientAddress())) {
                // a HelloRequest, a Request and a Signal, each carrying engine headers
                peer.write(Raw.frame(1, OpCode.HELLO_REQUEST.code(), 0, 11, headers, new byte[0]));
                Message hello = Wire.await(g, m -> m.opCode() == OpCode.HELLO_REQUEST);
                int ch = hello.channel();
                assertEquals(Origin.APPLICATION, hello.origin());
                assertEquals("tcp|127.0.0.1|" + canaryPort, hello.headers().get(Address.CONNECT_TO),
                        "the peer's ~connect_to is delivered as data");
                hello.close();
                before = reactor.stats();
                peer.write(Raw.frame(1, OpCode.REQUEST.code(), 0, 12, headers, "x".getBytes(StandardCharsets.US_ASCII)));
                peer.write(Raw.frame(1, OpCode.SIGNAL.code(), 0, 13, headers, new byte[0]));
                for (long id : new long[] {12, 13}) {
                    Message m = Wire.await(g, x -> x.messageId() == id);
                    assertEquals(ch, m.channel());
                    assertEquals("tcp|127.0.0.1|0", m.headers().get(Address.LISTEN_ON));
                    // the application echoes it back unchanged as a Response: still only data
                    if (m.opCode() == OpCode.REQUEST) {
                        m.opCode(OpCode.RESPONSE);
                        g.post(m);
                        Raw.Frame echoed = peer.readFrame(Wire.WAIT);
                        assertEquals(12, echoed.messageId());
                        assertEquals(hostile, new String(echoed.headers(), StandardCharsets.US_ASCII),
                                "headers travel back byte for byte");
                    } else {
                        m.close();
                    }
                }
            }
            ReactorStats after = reactor.stats();
            assertEquals(0, after.openClients(), "no client channel was opened by a peer's ~connect_to");
            assertEquals(before.openListeners(), after.openListeners(), "no listener was opened by a peer's ~listen_on");
            assertNull(canary.accept(), "nobody connected to the canary");
        }
    }
}
