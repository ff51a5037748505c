package dev.tofu.internal.io;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.SocketChannel;

/** Small facts about sockets that the connector, reader and writer share. Any thread. */
public final class Sockets {
    private Sockets() {
    }

    /** The peer address of {@code s} for logs and events, or "?". */
    public static String address(SocketChannel s) {
        try {
            return String.valueOf(s.getRemoteAddress());
        } catch (IOException e) {
            return "?";
        }
    }

    /** Whether {@code e} says the peer went away (reset, broken pipe), not that the socket failed here. */
    static boolean isPeerLoss(IOException e) {
        if (e instanceof SocketException) {
            String text = String.valueOf(e.getMessage());
            return text.contains("reset") || text.contains("Broken pipe") || text.contains("Connection abort");
        }
        String text = String.valueOf(e.getMessage());
        return text.contains("Connection reset") || text.contains("Broken pipe");
    }
}
