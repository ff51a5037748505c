package dev.tofu.security;

import dev.tofu.Address;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.testing.NoLeaks;
import dev.tofu.testing.PinningGuard;
import dev.tofu.testing.Wire;
import dev.tofu.testing.Wire.Transport;
import jdk.net.UnixDomainPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unix-domain listeners are owner-only by default and the application can read a local peer's
 * credentials (issue "hostile input": security).
 */
@Timeout(30)
@ExtendWith({NoLeaks.class, PinningGuard.class})
class UdsSecurityTest {
    @Test
    void aUdsListenerFileIsOwnerOnlyByDefault() throws Exception {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, Transport.UDS.serverAddress());
            Path file = Path.of(((Address.UdsClient) l.clientAddress()).path());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                    "only the listening user may connect by default");
            closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void theSocketFilePermissionsCanBeWidened() throws Exception {
        Options options = Options.DEFAULT.withUdsPermissions(PosixFilePermissions.fromString("rw-rw----"));
        assertEquals(PosixFilePermissions.fromString("rw-rw----"), options.withMaxPoolMsgs(128).udsPermissions(),
                "the setting survives other with* copies");
        try (Reactor reactor = Reactor.create(options)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup g = ampe.create();
            Wire.Listener l = Wire.listen(ampe, g, Transport.UDS.serverAddress());
            Path file = Path.of(((Address.UdsClient) l.clientAddress()).path());
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            closeListener(ampe, g, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void aServerReadsTheUdsPeersUserAndGroupFromTheHelloRequestsChannel() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, Transport.UDS.serverAddress());
            int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();

            Optional<UnixDomainPrincipal> peer = server.peerCredentials(sch);
            assertTrue(peer.isPresent(), "SO_PEERCRED is available on a connected UDS channel");
            assertEquals(System.getProperty("user.name"), peer.get().user().getName(),
                    "the peer runs as this test's user");
            assertTrue(peer.get().group().getName() != null && !peer.get().group().getName().isEmpty());
            assertTrue(server.peerCredentials(l.channel()).isEmpty(), "a listener has no peer");

            TofuException other = assertThrows(TofuException.class, () -> client.peerCredentials(sch));
            assertEquals(Status.INVALID_CHANNEL_GROUP, other.status(), "only the owning group may ask");
            TofuException unknown = assertThrows(TofuException.class, () -> server.peerCredentials(65000));
            assertEquals(Status.INVALID_CHANNEL_NUMBER, unknown.status());

            Wire.send(ampe, client, cch, OpCode.BYE_SIGNAL, 0, null);
            Wire.await(client, m -> Wire.isCloseSignal(m, cch)).close();
            Wire.await(server, m -> Wire.isCloseSignal(m, sch)).close();
            closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    @Test
    void aTcpChannelHasNoPeerCredentials() {
        try (Reactor reactor = Reactor.create(Options.DEFAULT)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup server = ampe.create();
            ChannelGroup client = ampe.create();
            Wire.Listener l = Wire.listen(ampe, server, Transport.TCP.serverAddress());
            int cch = Wire.hello(ampe, client, l.clientAddress()).channel();
            Message hello = Wire.await(server, m -> m.opCode() == OpCode.HELLO_REQUEST);
            int sch = hello.channel();
            hello.close();
            assertTrue(server.peerCredentials(sch).isEmpty(), "SO_PEERCRED is a Unix-domain option");
            Wire.send(ampe, client, cch, OpCode.BYE_SIGNAL, 0, null);
            Wire.await(client, m -> Wire.isCloseSignal(m, cch)).close();
            Wire.await(server, m -> Wire.isCloseSignal(m, sch)).close();
            closeListener(ampe, server, l.channel());
            NoLeaks.assertAtRest(reactor);
        }
    }

    private static void closeListener(Ampe ampe, ChannelGroup g, int listener) {
        Wire.send(ampe, g, listener, OpCode.BYE_SIGNAL, 0, null);
        Wire.await(g, m -> Wire.isCloseSignal(m, listener)).close();
    }
}
