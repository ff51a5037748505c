package dev.tofu;

/**
 * A blocking call of {@link Client} or {@link Server} did not complete within its timeout: no
 * response within a {@link Client#call call}'s timeout, no HelloResponse within
 * {@link ClientOptions#connectTimeout()}.
 *
 * <p>Its {@link #status()} is always {@link Status#PROCESSING_FAILED} (the status PROTOCOL.md §3
 * leaves free for applications); catch this type to tell a timeout from other failures. A timeout
 * leaves the channel usable: a response that arrives later goes back to the pool and is counted by
 * {@link Client#lateResponses()}.
 */
public class TofuTimeoutException extends TofuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates a timeout exception.
     *
     * @param detail what did not happen in time, for example "no response within PT1S"
     */
    public TofuTimeoutException(String detail) {
        super(Status.PROCESSING_FAILED, detail);
    }
}
