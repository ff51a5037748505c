package dev.tofu.stress.sys;

/**
 * One message a {@link Connection} received, filled in place by {@link Connection#receive} (the
 * driver reuses one instance, so receiving allocates nothing on the harness side).
 *
 * <p>{@code status == 0}: an echo of a message this connection sent; the payload is in
 * {@code data[0, length)}. {@code status != 0}: a message the library returned unsent, with the
 * library's status code and name (tofu returns unsent messages at close with the close reason); the
 * payload is still there so the driver can tell which message it was.
 */
public final class Reply {
    /** Payload bytes; grown by the connection when needed. */
    public byte[] data;
    /** Payload length. */
    public int length;
    /** The library's message id, or 0 when the system has none. */
    public long messageId;
    /** Whether the library's {@code more} flag was set (0 when the system has none). */
    public boolean more;
    /** 0 for an echo; otherwise the status the library returned the message with. */
    public int status;
    /** The status's name when {@code status != 0}. */
    public String statusName;

    /** Creates a reply holder with room for {@code capacity} payload bytes. */
    public Reply(int capacity) {
        data = new byte[Math.max(16, capacity)];
    }

    /** Makes sure {@code data} holds at least {@code n} bytes (contents not kept). */
    public byte[] room(int n) {
        if (data.length < n) {
            data = new byte[Math.max(n, data.length * 2)];
        }
        return data;
    }

    /** Clears the fields before a receive. */
    public void clear() {
        length = 0;
        messageId = 0;
        more = false;
        status = 0;
        statusName = null;
    }
}
