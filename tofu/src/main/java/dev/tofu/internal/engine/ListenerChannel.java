package dev.tofu.internal.engine;

import dev.tofu.Address;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.concurrent.Slots;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.PostRules;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A listener channel (PROTOCOL.md §5.2): binds, answers the WelcomeRequest with a WelcomeResponse
 * (adding {@code ~bound_to} with the real address), then accepts connections, each becoming a server
 * {@link IoChannel} in the same group.
 *
 * <p>Threads: one {@code listener} virtual thread binds and then blocks in {@code accept}. Application
 * threads only start a close (ByeRequest or ByeSignal posted on the listener). {@code server} is
 * written once by the listener thread and read by closers; {@code request} belongs to the listener
 * thread until it hands it on (as the WelcomeResponse or as the close trigger), after which the
 * finisher may read what is left.
 */
final class ListenerChannel extends Channel {
    private static final Logger LOG = LoggerFactory.getLogger(ListenerChannel.class);

    private volatile ServerSocketChannel server;
    private volatile MessageStore request;     // the WelcomeRequest until answered
    private volatile Path udsFile;        // the socket file to remove on close
    private volatile Object udsFileKey;   // its identity (inode), so we never remove a newer listener's file
    /** Accepted channels of this listener still open, against Options.maxChannelsPerListener. */
    private final Slots openAccepted;

    ListenerChannel(Engine engine, Group group, long welcomeId) {
        super(engine, group, false, welcomeId);
        this.openAccepted = new Slots(engine.options.maxChannelsPerListener());
    }

    @Override
    String kind() {
        return "listener";
    }

    void start(MessageStore welcome) {
        request = welcome;
        startJob("listener", this::listen);
        released();
    }

    @Override
    void accept(MessageStore m, int opCode) {
        if (opCode != OpCode.BYE_REQUEST.code() && opCode != OpCode.BYE_SIGNAL.code()) {
            throw PostRules.fail(m, Status.NOT_ALLOWED, "only ByeRequest or ByeSignal may be posted to listener " + number);
        }
        if (!beginClose(Status.CHANNEL_CLOSED, m)) {
            throw PostRules.fail(m, Status.INVALID_CHANNEL_NUMBER, "listener " + number + " is already closing");
        }
    }

    @Override
    void closeTransport() {
        ServerSocketChannel s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("listener {}: close failed", number, e);
            }
        }
    }

    @Override
    List<MessageStore> drainUnsent() {
        List<MessageStore> rest = new ArrayList<>(1);
        MessageStore r = request;
        request = null;
        if (r != null) {
            rest.add(r);
        }
        return rest;
    }

    @Override
    void afterClose() {
        Path file = udsFile;
        if (file != null) {
            try {
                Object key = udsFileKey;
                if (key == null || key.equals(fileKey(file))) { // a newer listener may own the path now
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                LOG.debug("listener {}: could not remove {}", number, file, e);
            }
        }
    }

    private void listen() {
        MessageStore welcome = request;
        ServerSocketChannel s;
        String boundTo;
        try {
            Address address = Address.of(ACCESS.view(welcome));
            s = bind(address);
            boundTo = describe(s.getLocalAddress());
        } catch (TofuException e) {
            failOpen(e.status(), e);
            return;
        } catch (UnresolvedAddressException e) {
            failOpen(Status.INVALID_ADDRESS, e);
            return;
        } catch (IOException | RuntimeException e) {
            if (!life.isClosing()) {
                LOG.debug("listener {}: bind failed", number, e);
                failOpen(Status.LISTEN_FAILED, e);
            }
            return;
        }
        if (!life.opened()) {
            return; // a close began while binding
        }
        request = null;
        welcome.setOpCodeRaw(OpCode.WELCOME_RESPONSE.code());
        welcome.setChannel(number);
        welcome.setStatusRaw(0);
        welcome.setFromEngine(false); // §5.2: success keeps origin application
        appendHeader(welcome, Address.BOUND_TO, boundTo);
        LOG.debug("listener {} bound to {}", number, boundTo);
        opened(boundTo);
        group.deliverNotice(welcome);
        acceptLoop(s);
    }

    private ServerSocketChannel bind(Address address) throws IOException {
        ServerSocketChannel s;
        SocketAddress local;
        if (address instanceof Address.TcpServer tcp) {
            InetSocketAddress at = new InetSocketAddress(tcp.host().isEmpty() ? "0.0.0.0" : tcp.host(), tcp.port());
            if (at.isUnresolved()) {
                throw new TofuException(Status.INVALID_ADDRESS, "cannot resolve '" + tcp.host() + "'");
            }
            s = ServerSocketChannel.open(at.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            publish(s);
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (s.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            local = at;
        } else if (address instanceof Address.UdsServer uds) {
            Path path = uds.path().isEmpty() ? freshUdsPath() : Path.of(uds.path());
            Files.deleteIfExists(path); // §4: a stale file from an earlier run is replaced
            s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            publish(s);
            local = UnixDomainSocketAddress.of(path);
            udsFile = path;
        } else {
            throw new TofuException(Status.INVALID_ADDRESS, "a WelcomeRequest needs a " + Address.LISTEN_ON + " address");
        }
        try {
            s.bind(local, 1024);
        } catch (IOException e) {
            udsFile = null; // not ours: do not delete another listener's file
            throw e;
        }
        Path file = udsFile;
        if (file != null) {
            restrict(file);
            udsFileKey = fileKey(file);
        }
        return s;
    }

    private void publish(ServerSocketChannel s) throws IOException {
        server = s;
        if (life.isClosing()) {
            closeTransport();
            throw new ClosedChannelException();
        }
    }

    private void acceptLoop(ServerSocketChannel s) {
        while (true) {
            SocketChannel accepted;
            try {
                accepted = s.accept();
            } catch (IOException e) {
                if (!life.isClosing()) {
                    LOG.warn("listener {}: accept failed, closing the listener", number, e);
                    beginClose(Status.ACCEPT_FAILED, null, e);
                }
                return;
            }
            if (!reserveSlot()) {
                LOG.debug("listener {}: at its limit of {} channels, refusing a connection", number,
                        engine.options.maxChannelsPerListener());
                engine.refuse(accepted);
            } else if (!engine.reserveConnection()) {
                releaseSlot();
                LOG.debug("listener {}: the reactor is at its limit of {} channels, refusing a connection", number,
                        engine.options.maxChannels());
                engine.refuse(accepted);
            } else {
                engine.openAccepted(group, accepted, this);
            }
        }
    }

    /** Takes one of Options.maxChannelsPerListener; false at the limit. */
    private boolean reserveSlot() {
        return openAccepted.tryTake();
    }

    /** Gives back a slot taken by the accept loop (the accepted channel has finished). */
    void releaseSlot() {
        openAccepted.give();
    }

    /** The listen failed with {@code failure}: the WelcomeRequest comes back as a WelcomeResponse saying why (~error). */
    private void failOpen(Status status, Throwable failure) {
        MessageStore welcome = request;
        welcome.setOpCodeRaw(OpCode.WELCOME_RESPONSE.code());
        welcome.setChannel(number);
        if (beginClose(status, welcome, failure)) {
            request = null; // it travels as the trigger now
        }
    }

    /** Gives the socket file the permissions of Options.udsPermissions (owner-only by default). */
    private void restrict(Path file) {
        try {
            Files.setPosixFilePermissions(file, engine.options.udsPermissions());
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("listener {}: could not set the permissions of {}", number, file, e);
        }
    }

    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static String describe(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            return "tcp|" + inet.getAddress().getHostAddress() + "|" + inet.getPort();
        }
        if (a instanceof UnixDomainSocketAddress uds) {
            return "uds|" + uds.getPath();
        }
        return String.valueOf(a);
    }

    private static Path freshUdsPath() {
        String dir = System.getProperty("java.io.tmpdir", "/tmp");
        for (int i = 0; i < 100; i++) {
            Path p = Path.of(dir, "tofu_" + ProcessHandle.current().pid() + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".port");
            if (p.toString().getBytes(StandardCharsets.UTF_8).length <= Address.UDS_PATH_MAX_BYTES && !Files.exists(p)) {
                return p;
            }
        }
        return Path.of("/tmp", "tofu_" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".port");
    }

    /** Appends {@code name:value CRLF} to an engine-owned message's text headers. */
    static void appendHeader(MessageStore m, String name, String value) {
        var section = m.headers();
        byte[] line = (name + ":" + value + "\r\n").getBytes(StandardCharsets.UTF_8);
        section.append(line, 0, line.length);
    }
}
