package dev.tofu.internal.io;

import dev.tofu.Address;
import dev.tofu.Options;
import dev.tofu.Status;
import dev.tofu.TofuException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Opens a client channel's socket (PROTOCOL.md §5.3): resolves the HelloRequest's address, TCP or
 * Unix-domain, connects, refuses a TCP socket connected to itself, and runs the TLS client
 * handshake when {@code Options.withTls} is set.
 *
 * <p>Threads: runs once, on the client channel's writer thread, before the reader starts (so the
 * handshake owns the socket's reads and writes). The socket is handed to the channel through
 * {@link ChannelHost#publish} as soon as it exists, so a close from any thread can close it and
 * make a blocked connect or handshake fail at once. Holds no state of its own between calls.
 */
public final class Connector {
    private static final Logger LOG = LoggerFactory.getLogger(Connector.class);

    /** A connected socket and, with TLS, the transport over it that frames are read from and written to. */
    public record Connection(SocketChannel socket, TlsTransport tls) {
    }

    /** The connect failed: the status the HelloRequest comes back with, and the cause for {@code ~error}. */
    public static final class Failure extends Exception {
        private final Status status;

        Failure(Status status, Throwable cause) {
            super(cause.getMessage(), cause, false, false);
            this.status = status;
        }

        /** The status for the HelloResponse that reports this failure. */
        public Status status() {
            return status;
        }
    }

    private final ChannelHost host;
    private final Options options;

    /** A connector for the channel {@code host}, with the reactor's options. */
    public Connector(ChannelHost host, Options options) {
        this.host = host;
        this.options = options;
    }

    /**
     * Connects to {@code target} and, with TLS, completes the handshake.
     *
     * @return the connection, or null if a close began meanwhile (the close reports itself)
     * @throws Failure when the connect failed and the channel is still open
     */
    public Connection connect(Address target) throws Failure {
        SocketChannel s;
        try {
            s = open(target);
        } catch (TofuException e) {
            throw new Failure(e.status(), e);
        } catch (UnresolvedAddressException e) {
            throw new Failure(Status.INVALID_ADDRESS, e);
        } catch (IOException e) {
            if (host.isClosing()) {
                return null;
            }
            LOG.debug("channel {}: connect failed", host.number(), e);
            throw new Failure(e instanceof NoSuchFileException ? Status.UDS_PATH_NOT_FOUND : Status.CONNECT_FAILED, e);
        }
        TlsTransport t = TlsTransport.forClient(options, s, target);
        if (t != null) {
            try {
                t.handshake(); // before the reader starts: it reads through the TLS end
            } catch (IOException e) {
                if (host.isClosing()) {
                    return null;
                }
                LOG.debug("channel {}: TLS handshake with {} failed: {}", host.number(), Sockets.address(s), e.toString());
                throw new Failure(Status.CONNECT_FAILED, e);
            }
        }
        return new Connection(s, t);
    }

    private SocketChannel open(Address address) throws IOException {
        SocketChannel s;
        if (address instanceof Address.UdsClient uds) {
            Path path = Path.of(uds.path());
            if (uds.path().isEmpty() || !Files.exists(path)) {
                throw new TofuException(Status.UDS_PATH_NOT_FOUND, "no socket file at '" + uds.path() + "'");
            }
            s = SocketChannel.open(StandardProtocolFamily.UNIX);
            host.publish(s);
            s.connect(UnixDomainSocketAddress.of(path));
        } else if (address instanceof Address.TcpClient tcp) {
            InetSocketAddress target = new InetSocketAddress(tcp.host().isEmpty() ? Address.DEFAULT_CLIENT_HOST : tcp.host(), tcp.port());
            if (target.isUnresolved()) {
                throw new TofuException(Status.INVALID_ADDRESS, "cannot resolve '" + tcp.host() + "'");
            }
            s = SocketChannel.open(target.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            host.publish(s);
            try {
                SocketTuning.apply(s, options);
            } catch (IOException | UnsupportedOperationException e) {
                throw new TofuException(Status.SETSOCKOPT_FAILED, "socket options failed: " + e.getMessage(), e);
            }
            s.connect(target);
            if (s.getLocalAddress().equals(s.getRemoteAddress())) {
                // TCP simultaneous open: connecting to a free port in the ephemeral range can pick
                // that very port as the source and connect the socket to itself. Nobody listens.
                throw new ConnectException("connected to itself (nobody listens on " + target + ")");
            }
        } else {
            throw new TofuException(Status.INVALID_ADDRESS, "a HelloRequest needs a " + Address.CONNECT_TO + " address");
        }
        return s;
    }
}
