package dev.tofu;

/**
 * A blocking call ended because its thread was interrupted (Java's convention for blocking calls):
 * it returns promptly, throws this, and leaves the thread's interrupt flag set so that the code
 * around it sees the interrupt too.
 *
 * <p>Nothing the call was waiting for is lost by the interrupt: a message that arrives later stays
 * in its queue for the next receive, and a channel is never closed because its caller was
 * interrupted. Its {@link #status()} is {@link Status#PROCESSING_FAILED}; catch this type to tell an
 * interrupt from a timeout ({@link TofuTimeoutException}) or a failure.
 */
public class TofuInterruptedException extends TofuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an interrupt exception.
     *
     * @param detail what was interrupted, for example "waitReceive interrupted"
     */
    public TofuInterruptedException(String detail) {
        super(Status.PROCESSING_FAILED, detail);
    }
}
