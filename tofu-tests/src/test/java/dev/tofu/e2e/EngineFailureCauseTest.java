package dev.tofu.e2e;

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
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Probe;
import dev.tofu.testing.Raw;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures the engine reports as messages say why (issue 19): a failed connect's HelloResponse, a
 * failed listen's WelcomeResponse and the close Signal after them carry the underlying error's
 * class and text in the {@value ChannelGroup#ERROR_HEADER} text header.
 */
@Timeout(60)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class EngineFailureCauseTest {

    private static List<Message> bundleOf(Ampe ampe, ChannelGroup g, Address address) {
        Message m = ampe.get(AllocationStrategy.ALWAYS);
        address.format(m);
        int ch = g.post(m).channel();
        return Wire.collectUntil(g, x -> Wire.isCloseSignal(x, ch));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aRefusedConnectSaysConnectionRefused(Transport transport) throws Exception {
        Address target;
        Path stale = null;
        if (transport == Transport.TCP) {
            try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
                target = Address.tcpClient("127.0.0.1", ((InetSocketAddress) s.getLocalAddress()).getPort());
            }
        } else {
            stale = Raw.freshUdsPath(); // a socket file nobody listens on any more
            try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                s.bind(UnixDomainSocketAddress.of(stale));
            }
            target = Address.udsClient(stale);
        }
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            List<Message> bundle = bundleOf(ampe, g, target);
            assertEquals(2, bundle.size(), "HelloResponse then close Signal: " + bundle);
            Message hello = bundle.get(0);
            assertEquals(OpCode.HELLO_RESPONSE, hello.opCode());
            assertEquals(Origin.ENGINE, hello.origin());
            assertEquals(Status.CONNECT_FAILED, hello.status());
            String error = hello.headers().get(ChannelGroup.ERROR_HEADER);
            assertNotNull(error, "the failed HelloResponse says why: " + hello);
            assertTrue(error.contains("Connection refused"), "the OS's reason: " + error);
            assertTrue(error.contains("ConnectException"), "the exception's class: " + error);
            assertNotNull(hello.headers().get(Address.CONNECT_TO), "the application's own headers are kept");
            String onClose = bundle.get(1).headers().get(ChannelGroup.ERROR_HEADER);
            assertEquals(error, onClose, "the close Signal says the same");
            Probe.closeAll(bundle);
            NoLeaks.assertAtRest(reactor);
        } finally {
            if (stale != null) {
                Files.deleteIfExists(stale);
            }
        }
    }

    @Test
    void aFailedListenSaysAddressInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(); Reactor r = Reactor.create(Options.DEFAULT)) {
            taken.setReuseAddress(false);
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            ChannelGroup g = r.ampe().create();
            List<Message> bundle = bundleOf(r.ampe(), g, Address.tcpServer("127.0.0.1", taken.getLocalPort()));
            assertEquals(2, bundle.size(), "WelcomeResponse then close Signal: " + bundle);
            Message welcome = bundle.get(0);
            assertEquals(Status.LISTEN_FAILED, welcome.status());
            String error = welcome.headers().get(ChannelGroup.ERROR_HEADER);
            assertNotNull(error, "the failed WelcomeResponse says why: " + welcome);
            assertTrue(error.contains("Address already in use"), "the OS's reason: " + error);
            Probe.closeAll(bundle);
            NoLeaks.assertAtRest(r);
        }
    }
}
