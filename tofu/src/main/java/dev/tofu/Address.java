package dev.tofu;

import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.wire.TextHeaderParser;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a channel connects or listens (PROTOCOL.md §4): TCP or a Unix-domain socket, client or
 * server. An address travels as one text header on a HelloRequest ({@value #CONNECT_TO}) or a
 * WelcomeRequest ({@value #LISTEN_ON}), with the value {@code tcp|host|port} or {@code uds|path}.
 *
 * <pre>{@code
 * Address.tcpServer("0.0.0.0", 0).format(msg);     // WelcomeRequest, ~listen_on: tcp|0.0.0.0|0
 * group.post(msg);
 * Message welcome = group.waitReceive(ChannelGroup.SEC);
 * Address peer = Address.parse(welcome.headers().get(Address.BOUND_TO));   // a client address
 * }</pre>
 *
 * <p>Parsing is strict: the protocol token must be {@code tcp} (three parts) or {@code uds} (two
 * parts), the port 1–5 ASCII digits within 0..65535, and a UDS path at most
 * {@value #UDS_PATH_MAX_BYTES} bytes. Immutable and thread-safe.
 */
public sealed interface Address permits Address.TcpClient, Address.TcpServer, Address.UdsClient, Address.UdsServer {
    /** Header naming where a HelloRequest connects. */
    String CONNECT_TO = "~connect_to";
    /** Header naming where a WelcomeRequest listens. */
    String LISTEN_ON = "~listen_on";
    /** Header the engine adds to a successful WelcomeResponse: the address actually bound. */
    String BOUND_TO = "~bound_to";
    /** Port used when none is given. */
    int DEFAULT_PORT = 7099;
    /** Host a client connects to when none is given. */
    String DEFAULT_CLIENT_HOST = "127.0.0.1";
    /** Longest Unix-domain socket path on Linux, in bytes of UTF-8. */
    int UDS_PATH_MAX_BYTES = 107;

    /**
     * Makes {@code message} a request for this address: resets its binary header to the defaults of
     * a HelloRequest (client) or WelcomeRequest (server), channel 0, message id 0, flags clear, and
     * appends the address header; existing text headers and the body are kept.
     *
     * @param message the message to turn into a request; the application must own it
     * @throws TofuException         {@link Status#WRONG_ADDRESS} for an empty TCP host, a UDS path
     *                               over {@value #UDS_PATH_MAX_BYTES} bytes or with a leading or
     *                               trailing space, or a host or path holding {@code |}, CR or LF
     * @throws IllegalStateException if the application does not own the message
     */
    void format(Message message);

    /**
     * Returns the header value, {@code tcp|host|port} or {@code uds|path}.
     *
     * @return the header value
     */
    String value();

    /**
     * Returns {@value #CONNECT_TO} for client addresses, {@value #LISTEN_ON} for server ones.
     *
     * @return the name of the header this address travels in
     */
    String headerName();

    /**
     * Returns whether this is a listening (server) address.
     *
     * @return {@code true} for a server address, {@code false} for a client one
     */
    boolean isServer();

    /**
     * Returns the default TCP client address, {@code tcp|127.0.0.1|7099}.
     *
     * @return the default TCP client address
     */
    static Address tcpClient() {
        return new TcpClient(DEFAULT_CLIENT_HOST, DEFAULT_PORT);
    }

    /**
     * Returns a TCP client address.
     *
     * @param host an IP literal or DNS name (empty is accepted here and rejected by {@link #format})
     * @param port 0..65535
     * @return a TCP client address
     * @throws IllegalArgumentException if {@code port} is outside 0..65535
     */
    static Address tcpClient(String host, int port) {
        return new TcpClient(host, port);
    }

    /**
     * Returns a TCP server address. Use {@code 0.0.0.0} for every IPv4 interface and port 0 to let
     * the system choose (the WelcomeResponse's {@value #BOUND_TO} header tells the port).
     *
     * @param host IP literal or DNS name of a local interface ({@code 0.0.0.0} for all)
     * @param port 0..65535 (0: the system chooses)
     * @return a TCP server address
     * @throws IllegalArgumentException if {@code port} is outside 0..65535
     */
    static Address tcpServer(String host, int port) {
        return new TcpServer(host, port);
    }

    /**
     * Returns a Unix-domain client address.
     *
     * @param path the socket file's path
     * @return a Unix-domain client address
     */
    static Address udsClient(Path path) {
        return new UdsClient(Objects.requireNonNull(path, "path").toString());
    }

    /**
     * Returns a Unix-domain server address; an empty path lets the engine choose a fresh temporary
     * one (the WelcomeResponse's {@value #BOUND_TO} header tells which).
     *
     * @param path the socket file's path, or an empty path
     * @return a Unix-domain server address
     */
    static Address udsServer(Path path) {
        return new UdsServer(Objects.requireNonNull(path, "path").toString());
    }

    /**
     * Parses an address. Accepts a header line ({@code ~connect_to:VALUE} gives a client address,
     * {@code ~listen_on:VALUE} a server one) or a bare value, which gives a client address (the form
     * to connect to a {@value #BOUND_TO} value).
     *
     * @param text a header line or a bare address value
     * @return the parsed address
     * @throws TofuException {@link Status#INVALID_ADDRESS} for anything malformed, including a bare
     *                       {@code uds|path} value whose path ends with a space or TAB (a header line
     *                       trims them, so such a path could not be sent)
     */
    static Address parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.startsWith(LISTEN_ON + ":")) {
            return parseValue(trimSpaceTab(text.substring(LISTEN_ON.length() + 1)), true);
        }
        if (text.startsWith(CONNECT_TO + ":")) {
            return parseValue(trimSpaceTab(text.substring(CONNECT_TO.length() + 1)), false);
        }
        return parseValue(text, false);
    }

    /**
     * Finds the address of a Hello/WelcomeRequest the way the engine does: the first text header
     * named exactly {@value #CONNECT_TO} or {@value #LISTEN_ON} decides.
     *
     * @param message a HelloRequest or WelcomeRequest
     * @return the address named by the message's first address header
     * @throws TofuException {@link Status#INVALID_ADDRESS} if there is no such header or its value is
     *                       malformed
     */
    static Address of(Message message) {
        Address[] found = new Address[1];
        TofuException[] error = new TofuException[1];
        var headers = MessageAccess.get().store(message).headers();
        TextHeaderParser.parse(headers.array(), headers.length(), (name, value) -> {
            boolean server = name.equals(LISTEN_ON);
            if (server || name.equals(CONNECT_TO)) {
                try {
                    found[0] = parseValue(value, server);
                } catch (TofuException e) {
                    error[0] = e;
                }
                return false;
            }
            return true;
        });
        if (error[0] != null) {
            throw error[0];
        }
        if (found[0] == null) {
            throw new TofuException(Status.INVALID_ADDRESS, "no " + CONNECT_TO + " or " + LISTEN_ON + " header");
        }
        return found[0];
    }

    private static Address parseValue(String value, boolean server) {
        String[] parts = value.split("\\|", -1);
        if (parts.length == 2) {
            if (!parts[0].equals("uds")) {
                throw new TofuException(Status.INVALID_ADDRESS, "two-part address must be uds|path: '" + value + "'");
            }
            String path = parts[1];
            if (!path.isEmpty() && Formatting.isSpaceOrTab(path.charAt(path.length() - 1))) {
                // Only a bare value can get here: a header line's value is trimmed (§1.5), so this
                // path could not survive its own canonical form.
                throw new TofuException(Status.INVALID_ADDRESS, "UDS path ends with a space or TAB, which a header line trims: '" + value + "'");
            }
            if (path.getBytes(StandardCharsets.UTF_8).length > UDS_PATH_MAX_BYTES) {
                throw new TofuException(Status.INVALID_ADDRESS, "UDS path longer than " + UDS_PATH_MAX_BYTES + " bytes");
            }
            return server ? new UdsServer(path) : new UdsClient(path);
        }
        if (parts.length == 3) {
            if (!parts[0].equals("tcp")) {
                throw new TofuException(Status.INVALID_ADDRESS, "three-part address must be tcp|host|port: '" + value + "'");
            }
            String p = parts[2];
            if (p.isEmpty() || p.length() > 5) {
                throw new TofuException(Status.INVALID_ADDRESS, "port must be 1-5 digits: '" + value + "'");
            }
            int port = 0;
            for (int i = 0; i < p.length(); i++) {
                char c = p.charAt(i);
                if (c < '0' || c > '9') {
                    throw new TofuException(Status.INVALID_ADDRESS, "port must be decimal digits: '" + value + "'");
                }
                port = port * 10 + (c - '0');
            }
            if (port > 0xFFFF) {
                throw new TofuException(Status.INVALID_ADDRESS, "port over 65535: '" + value + "'");
            }
            return server ? new TcpServer(parts[1], port) : new TcpClient(parts[1], port);
        }
        throw new TofuException(Status.INVALID_ADDRESS, "address must be tcp|host|port or uds|path: '" + value + "'");
    }

    /**
     * A TCP address to connect to.
     *
     * @param host IP literal or DNS name
     * @param port 0..65535
     */
    record TcpClient(String host, int port) implements Address {
        /** Checks the port range and that the host is present. */
        public TcpClient {
            checkHostPort(host, port);
        }

        @Override
        public void format(Message message) {
            Formatting.apply(message, this, OpCode.HELLO_REQUEST, host.isEmpty() ? "empty TCP host" : Formatting.hostProblem(host));
        }

        @Override
        public String value() {
            return "tcp|" + host + "|" + port;
        }

        @Override
        public String headerName() {
            return CONNECT_TO;
        }

        @Override
        public boolean isServer() {
            return false;
        }
    }

    /**
     * A TCP address to listen on.
     *
     * @param host IP literal or DNS name of a local interface ({@code 0.0.0.0} for all)
     * @param port 0..65535 (0: the system chooses)
     */
    record TcpServer(String host, int port) implements Address {
        /** Checks the port range and that the host is present. */
        public TcpServer {
            checkHostPort(host, port);
        }

        @Override
        public void format(Message message) {
            Formatting.apply(message, this, OpCode.WELCOME_REQUEST,
                    host.isEmpty() ? "empty TCP host (use 0.0.0.0 for every interface)" : Formatting.hostProblem(host));
        }

        @Override
        public String value() {
            return "tcp|" + host + "|" + port;
        }

        @Override
        public String headerName() {
            return LISTEN_ON;
        }

        @Override
        public boolean isServer() {
            return true;
        }
    }

    /**
     * A Unix-domain socket to connect to.
     *
     * @param path the socket file's path
     */
    record UdsClient(String path) implements Address {
        /** Checks that the path is present. */
        public UdsClient {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public void format(Message message) {
            Formatting.apply(message, this, OpCode.HELLO_REQUEST, Formatting.udsProblem(path));
        }

        @Override
        public String value() {
            return "uds|" + path;
        }

        @Override
        public String headerName() {
            return CONNECT_TO;
        }

        @Override
        public boolean isServer() {
            return false;
        }
    }

    /**
     * A Unix-domain socket to listen on; an empty path lets the engine choose one.
     *
     * @param path the socket file's path
     */
    record UdsServer(String path) implements Address {
        /** Checks that the path is present. */
        public UdsServer {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public void format(Message message) {
            Formatting.apply(message, this, OpCode.WELCOME_REQUEST, Formatting.udsProblem(path));
        }

        @Override
        public String value() {
            return "uds|" + path;
        }

        @Override
        public String headerName() {
            return LISTEN_ON;
        }

        @Override
        public boolean isServer() {
            return true;
        }
    }

    /** Trims space and TAB at both ends, as the text-header parser does with values (§1.5). */
    private static String trimSpaceTab(String v) {
        int a = 0;
        int b = v.length();
        while (a < b && (v.charAt(a) == ' ' || v.charAt(a) == '\t')) {
            a++;
        }
        while (b > a && (v.charAt(b - 1) == ' ' || v.charAt(b - 1) == '\t')) {
            b--;
        }
        return v.substring(a, b);
    }

    private static void checkHostPort(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port " + port + " outside 0..65535");
        }
    }
}

/** Shared formatting steps of the four address kinds. */
final class Formatting {
    private Formatting() {
    }

    static String udsProblem(String path) {
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Address.UDS_PATH_MAX_BYTES) {
            return "UDS path is " + bytes + " bytes, limit " + Address.UDS_PATH_MAX_BYTES;
        }
        if (!path.isEmpty() && (isSpaceOrTab(path.charAt(0)) || isSpaceOrTab(path.charAt(path.length() - 1)))) {
            return "UDS path starts or ends with a space or TAB, which the header parser trims";
        }
        return unsafeCharacters(path, "UDS path");
    }

    static String hostProblem(String host) {
        return unsafeCharacters(host, "TCP host");
    }

    /** '|' separates the address parts; CR and LF would break the text-header section. */
    private static String unsafeCharacters(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '|' || c == '\r' || c == '\n') {
                return what + " holds '|', CR or LF: '" + s + "'";
            }
        }
        return null;
    }

    static boolean isSpaceOrTab(char c) {
        return c == ' ' || c == '\t';
    }

    static void apply(Message message, Address address, OpCode opCode, String problem) {
        Objects.requireNonNull(message, "message");
        if (problem != null) {
            throw new TofuException(Status.WRONG_ADDRESS, problem);
        }
        message.opCode(opCode).channel(0).messageId(0).more(false)
                .status(Status.SUCCESS).origin(Origin.APPLICATION);
        message.headers().append(address.headerName(), address.value());
    }
}
