package dev.tofu.internal.io;

import dev.tofu.Options;

import jdk.net.ExtendedSocketOptions;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/** The socket options every connected TCP channel gets; Unix-domain sockets are left as they are. */
public final class SocketTuning {
    private SocketTuning() {
    }

    /** Sets TCP_NODELAY, an abortive close (SO_LINGER 0) and, if configured, TCP keepalive; call on TCP sockets only, before connect or after accept. */
    public static void apply(SocketChannel s, Options options) throws IOException {
        if (s.getLocalAddress() instanceof UnixDomainSocketAddress) {
            return; // unbound (a client before connect) or TCP from here on
        }
        s.setOption(StandardSocketOptions.TCP_NODELAY, true);
        s.setOption(StandardSocketOptions.SO_LINGER, 0);
        if (!options.keepAlive().isZero()) {
            int idle = Math.clamp(options.keepAlive().toSeconds(), 1, Integer.MAX_VALUE);
            s.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            s.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, idle);
            s.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, Math.max(1, idle / 3));
            s.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 3);
        }
    }
}
