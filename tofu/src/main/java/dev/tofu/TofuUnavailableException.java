package dev.tofu;

/**
 * No server of a {@link ClusterClient} could take the call: every server in its set is down
 * (not connected, or reconnecting with back-off), draining, or was already tried by this call, or
 * the set is empty. Thrown at once: a call never waits for a server to come back (the client keeps
 * reconnecting in the background, so a later call may succeed).
 *
 * <p>The request was <em>never sent</em> by the call that throws this, so it is safe to send it again.
 * Its {@link #status()} is {@link Status#CONNECT_FAILED}; {@link #getCause()} is the last failure seen
 * (a server's connect error, or the refusal of the last server tried), or {@code null}.
 */
public class TofuUnavailableException extends TofuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an unavailable exception.
     *
     * @param detail which servers were considered and in which state
     * @param cause  the last failure seen, or {@code null}
     */
    public TofuUnavailableException(String detail, Throwable cause) {
        super(Status.CONNECT_FAILED, detail, cause);
    }
}
