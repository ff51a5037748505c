package dev.tofu;

import java.util.Objects;

/**
 * The error a tofu call raises, carrying the {@link Status} that names it (tofu's {@code AmpeError}).
 *
 * <p>Thrown synchronously by calls that fail; failures that happen later, on the network, come back
 * as engine messages instead.
 */
public class TofuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The status that names this error. */
    private final Status status;

    /**
     * Creates an exception for a status.
     *
     * @param status the status, not {@code null}
     */
    public TofuException(Status status) {
        this(status, null);
    }

    /**
     * Creates an exception for a status with a detail message.
     *
     * @param status the status, not {@code null}
     * @param detail what went wrong, or {@code null}
     */
    public TofuException(Status status, String detail) {
        this(status, detail, null);
    }

    /**
     * Creates an exception for a status with a detail message and the failure that caused it.
     *
     * @param status the status, not {@code null}
     * @param detail what went wrong, or {@code null}
     * @param cause  the underlying failure (for example the {@link java.io.IOException} of a refused
     *               connect), or {@code null}
     */
    public TofuException(Status status, String detail, Throwable cause) {
        super(detail == null ? Objects.requireNonNull(status, "status").name()
                : Objects.requireNonNull(status, "status").name() + ": " + detail, cause);
        this.status = status;
    }

    /**
     * Returns the status that names this error.
     *
     * @return the status
     */
    public Status status() {
        return status;
    }
}
