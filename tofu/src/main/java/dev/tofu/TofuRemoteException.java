package dev.tofu;

import java.util.Objects;

/**
 * The server's handler failed: a {@link Server} whose handler threw answered the call with a RESPONSE
 * carrying the text header {@code ~error:<ExceptionClass>: <message>}, and {@link Client} turned it
 * into this exception. The request was delivered and processed; only its handler failed.
 *
 * <p>Its {@link #status()} is {@link Status#PROCESSING_FAILED}. {@link #remoteClass()} and
 * {@link #remoteMessage()} tell what the handler threw (the remote stack trace is not sent). Catch
 * this type to tell a handler failure from a timeout ({@link TofuTimeoutException}), an interrupt
 * ({@link TofuInterruptedException}), a draining server ({@link TofuDrainingException}) or a lost
 * channel (a plain {@link TofuException} with the close reason).
 */
public class TofuRemoteException extends TofuException {
    private static final long serialVersionUID = 1L;

    /** The class name of the exception the handler threw. */
    private final String remoteClass;
    /** The message of the exception the handler threw ({@code "null"} if it had none). */
    private final String remoteMessage;

    /**
     * Creates a remote failure.
     *
     * @param remoteClass   the class name of the exception the handler threw, not {@code null}
     * @param remoteMessage its message, not {@code null} (empty if the server sent none)
     */
    public TofuRemoteException(String remoteClass, String remoteMessage) {
        super(Status.PROCESSING_FAILED, remoteMessage == null || remoteMessage.isEmpty()
                ? remoteClass : remoteClass + ": " + remoteMessage);
        this.remoteClass = Objects.requireNonNull(remoteClass, "remoteClass");
        this.remoteMessage = remoteMessage == null ? "" : remoteMessage;
    }

    /**
     * Returns the class name of the exception the server's handler threw, for example
     * {@code java.lang.IllegalStateException}.
     *
     * @return the remote exception's class name
     */
    public String remoteClass() {
        return remoteClass;
    }

    /**
     * Returns the message of the exception the server's handler threw (CR and LF removed, at most
     * 1000 characters; {@code "null"} when it had none).
     *
     * @return the remote exception's message
     */
    public String remoteMessage() {
        return remoteMessage;
    }
}
