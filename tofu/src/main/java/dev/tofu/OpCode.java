package dev.tofu;

/**
 * The ten opcodes of tofu's protocol (PROTOCOL.md §2.1), with their wire values (the low four bits
 * of the {@code proto} byte).
 */
public enum OpCode {
    /** Application request; answered by {@link #RESPONSE}. */
    REQUEST(0, MessageType.REGULAR, MessageRole.REQUEST),
    /** Application response to a {@link #REQUEST} with the same message id. */
    RESPONSE(1, MessageType.REGULAR, MessageRole.RESPONSE),
    /** One-way application message; engine notices are local Signals. */
    SIGNAL(2, MessageType.REGULAR, MessageRole.SIGNAL),
    /** Opens a client channel (posted with channel 0 and a {@code ~connect_to} header). */
    HELLO_REQUEST(3, MessageType.HELLO, MessageRole.REQUEST),
    /** Accepts a client; also the engine's answer to a failed connect. */
    HELLO_RESPONSE(4, MessageType.HELLO, MessageRole.RESPONSE),
    /** Starts a graceful close. */
    BYE_REQUEST(5, MessageType.BYE, MessageRole.REQUEST),
    /** Completes a graceful close; its receiver closes the channel. */
    BYE_RESPONSE(6, MessageType.BYE, MessageRole.RESPONSE),
    /** Abortive local close; never transmitted by tofu for Java. */
    BYE_SIGNAL(7, MessageType.BYE, MessageRole.SIGNAL),
    /** Starts a listener (posted with channel 0 and a {@code ~listen_on} header); never transmitted. */
    WELCOME_REQUEST(8, MessageType.WELCOME, MessageRole.REQUEST),
    /** The engine's answer to a WelcomeRequest; never transmitted and never posted by applications. */
    WELCOME_RESPONSE(9, MessageType.WELCOME, MessageRole.RESPONSE);

    private static final OpCode[] BY_CODE = values();

    private final int code;
    private final MessageType type;
    private final MessageRole role;

    OpCode(int code, MessageType type, MessageRole role) {
        this.code = code;
        this.type = type;
        this.role = role;
    }

    /**
     * Returns the wire value, 0..9.
     *
     * @return the wire value
     */
    public int code() {
        return code;
    }

    /**
     * Returns the family of this opcode.
     *
     * @return the message type
     */
    public MessageType type() {
        return type;
    }

    /**
     * Returns the role of this opcode.
     *
     * @return the message role
     */
    public MessageRole role() {
        return role;
    }

    /**
     * Returns the opcode with the given wire value.
     *
     * @param code a value in 0..9
     * @return the opcode
     * @throws IllegalArgumentException if {@code code} is not 0..9
     */
    public static OpCode of(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("no opcode " + code + " (valid: 0..9)");
        }
        return BY_CODE[code];
    }

    /**
     * Returns the opcode an echo server answers this one with: a request's matching response,
     * {@link #SIGNAL} for a Signal.
     *
     * @return the echo opcode
     * @throws TofuException with {@link Status#INVALID_OP_CODE} for responses and {@link #BYE_SIGNAL}
     */
    public OpCode echo() {
        return switch (this) {
            case REQUEST -> RESPONSE;
            case SIGNAL -> SIGNAL;
            case HELLO_REQUEST -> HELLO_RESPONSE;
            case BYE_REQUEST -> BYE_RESPONSE;
            case WELCOME_REQUEST -> WELCOME_RESPONSE;
            default -> throw new TofuException(Status.INVALID_OP_CODE, this + " has no echo");
        };
    }
}
