package dev.tofu.internal.rpc;

import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.internal.engine.Group;
import dev.tofu.TofuRemoteException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Splitting and joining messages linked by {@code more} (PROTOCOL.md §1.6, §7 R20), and the text
 * headers the request/response layer defines. Only the public API is used.
 *
 * <p>Threads: stateless; every method runs on the caller's thread.
 */
public final class Parts {
    /** Largest body of one frame (PROTOCOL.md §1.6). */
    /**
     * The words of a call's failure when its request never left this process (the channel closed
     * first); {@code ClusterClient} reroutes such calls.
     */
    public static final String UNSENT = "closed before the request was sent";
    public static final int MAX_BODY = 65535;
    /** Header a server puts on the RESPONSE that reports a failed handler: {@code <ExceptionClass>: <message>}. */
    public static final String ERROR_HEADER = "~error";
    /** Header a server puts on the ByeResponse that rejects a HelloRequest (PROTOCOL.md §5.5.4). */
    public static final String REASON_HEADER = "~reason";
    /**
     * Header of the drain Signals (see {@link dev.tofu.Server#stop}): the server sends a SIGNAL with
     * {@code ~drain:<milliseconds left>} to every client when it starts draining; a client answers
     * with a SIGNAL carrying {@code ~drain:ack} once it will send no more requests on that channel.
     */
    public static final String DRAIN_HEADER = "~drain";
    /** The value of a client's answer to a drain Signal. */
    public static final String DRAIN_ACK = "ack";
    /** Longest header text the layer writes. */
    public static final int MAX_TEXT = 1000;

    private Parts() {
    }

    /**
     * Posts {@code m} (opcode, channel and message id already set) as one frame, or as several
     * frames with the same id when its body exceeds {@link #MAX_BODY}: the first keeps the text
     * headers, every frame but the last has {@code more} set, the last has {@code lastMore}.
     *
     * <p>Consumes {@code m} in every case: on success the engine owns every part; on failure the
     * parts not posted are released and the post's exception is rethrown (parts already posted
     * stay posted).
     */
    public static void post(Ampe ampe, ChannelGroup group, Message m, boolean lastMore) {
        int len = m.body().length();
        if (len <= MAX_BODY) {
            m.more(lastMore);
            postOrRelease(group, m);
            return;
        }
        List<Message> rest = new ArrayList<>((len - 1) / MAX_BODY);
        ByteBuffer all = m.body().asReadOnlyBuffer();
        try {
            for (int off = MAX_BODY; off < len; off += MAX_BODY) {
                Message x = ampe.get(AllocationStrategy.ALWAYS);
                rest.add(x);
                x.opCode(m.opCode()).channel(m.channel()).messageId(m.messageId()).more(true);
                x.body().append(all.duplicate().position(off).limit(Math.min(off + MAX_BODY, len)));
            }
            byte[] head = new byte[MAX_BODY];
            all.duplicate().get(head);
            m.body().clear();
            m.body().append(head);
            m.more(true);
            rest.get(rest.size() - 1).more(lastMore);
        } catch (RuntimeException e) {
            rest.forEach(Message::close);
            m.close();
            throw e;
        }
        int posted = -1;
        try {
            group.post(m);
            for (posted = 0; posted < rest.size(); posted++) {
                group.post(rest.get(posted));
            }
        } catch (RuntimeException e) {
            if (posted < 0) {
                m.close();
                posted = 0;
            }
            for (int i = posted; i < rest.size(); i++) {
                rest.get(i).close();
            }
            throw e;
        }
    }

    /** Posts {@code m}; if the post fails, releases it and rethrows. */
    public static void postOrRelease(ChannelGroup group, Message m) {
        try {
            if (group instanceof Group g) {
                g.send(m); // no BinaryHeader: nobody here reads it
            } else {
                group.post(m);
            }
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Appends the body of {@code part} to the body of {@code whole}. */
    public static void appendBody(Message whole, Message part) {
        if (part.body().length() > 0) {
            whole.body().append(part.body().asReadOnlyBuffer());
        }
    }

    /** The {@link #ERROR_HEADER} value for a failed handler: {@code <class>: <message>}, one line, at most 1000 chars. */
    public static String errorText(Throwable t) {
        String text = t.getClass().getName() + ": " + t.getMessage();
        return oneLine(text);
    }

    /** {@code text} with CR and LF removed, trimmed, cut to {@link #MAX_TEXT} chars, never empty. */
    public static String oneLine(String text) {
        String s = text == null ? "" : text.replace("\r", "").replace("\n", " ").strip();
        if (s.length() > MAX_TEXT) {
            s = s.substring(0, MAX_TEXT);
        }
        return s.isEmpty() ? "-" : s;
    }

    /** The exception a {@link #ERROR_HEADER} value ({@code <ExceptionClass>: <message>}) describes. */
    public static TofuRemoteException remoteFailure(String errorHeader) {
        int colon = errorHeader.indexOf(": ");
        return colon < 0 ? new TofuRemoteException(errorHeader, "")
                : new TofuRemoteException(errorHeader.substring(0, colon), errorHeader.substring(colon + 2));
    }

    /** Releases a message; {@code null} is ignored. */
    public static void release(Message m) {
        if (m != null) {
            m.close();
        }
    }
}
