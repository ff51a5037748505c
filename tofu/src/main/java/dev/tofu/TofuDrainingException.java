package dev.tofu;

/**
 * The server is draining: it told this {@link Client} (with a {@code ~drain} Signal, see
 * {@link Server#stop(java.time.Duration)}) that it is shutting down, so the client refused to send
 * the request. The request was <em>never sent</em>: it is safe to send it again elsewhere (another
 * server, or this address once the server is back).
 *
 * <p>Calls already sent when the drain began are not affected: the server finishes them and they
 * get their responses. Its {@link #status()} is {@link Status#SHUTDOWN_STARTED}.
 */
public class TofuDrainingException extends TofuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates a draining exception.
     *
     * @param detail which server is draining
     */
    public TofuDrainingException(String detail) {
        super(Status.SHUTDOWN_STARTED, detail);
    }
}
