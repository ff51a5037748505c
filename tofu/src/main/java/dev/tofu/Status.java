package dev.tofu;

/**
 * Every status of tofu's protocol (PROTOCOL.md §3), with its one-byte wire code.
 *
 * <p>A status travels in a message's binary header. Engine-origin messages carry the reason for
 * the notice ({@link #POOL_EMPTY}, {@link #CHANNEL_CLOSED}, ...); a {@link TofuException} carries the
 * status of a failed call. {@link #of(int)} maps any raw byte, including unknown values, to a status.
 */
public enum Status {
    /** No error: normal messages and successful WelcomeResponses. */
    SUCCESS(0),
    /** Reserved by tofu; never emitted. */
    NOT_IMPLEMENTED_YET(1),
    /** A Hello/WelcomeRequest without an address header, or an address helper given an empty host. */
    WRONG_ADDRESS(2),
    /** The opcode may not be posted to that target (for example data to a listener). */
    NOT_ALLOWED(3),
    /** {@code post(null)}. */
    NULL_MESSAGE(4),
    /** Internal only. */
    INVALID_MESSAGE(5),
    /** An opcode outside 0..9, or the echo helper given an opcode that has no echo. */
    INVALID_OP_CODE(6),
    /** The text-header section exceeds 65535 bytes. */
    INVALID_HEADERS_LEN(7),
    /** The body exceeds 65535 bytes. */
    INVALID_BODY_LEN(8),
    /** {@code more} set on a hello, bye or welcome message. */
    INVALID_MORE_USAGE(9),
    /** Channel 0 misused, or an unknown or closed channel. */
    INVALID_CHANNEL_NUMBER(10),
    /** The channel belongs to another group (tofu: {@code invelid_mchn_group}). */
    INVALID_CHANNEL_GROUP(11),
    /** A response-role message with message id 0. */
    INVALID_MESSAGE_ID(12),
    /** A connect or listen address that is missing, malformed or unresolvable. */
    INVALID_ADDRESS(13),
    /** A Unix-domain client address whose socket file does not exist. */
    UDS_PATH_NOT_FOUND(14),
    /** tofu: post during shutdown (tofu for Java uses {@link #SHUTDOWN_STARTED}). */
    NOTIFICATION_DISABLED(15),
    /** tofu: internal wake-up failure. */
    NOTIFICATION_FAILED(16),
    /** Close reason: the peer closed or reset the connection. */
    PEER_DISCONNECTED(17),
    /** Close reason: a socket error. */
    COMMUNICATION_FAILED(18),
    /** Engine Signal: a channel could not read because the message pool is empty. */
    POOL_EMPTY(19),
    /** Out of memory, or no channel number left. */
    ALLOCATION_FAILED(20),
    /** Every message injected by {@link ChannelGroup#updateReceiver(Message)}. */
    RECEIVER_UPDATE(21),
    /** The final close Signal of every channel; the reason for closes the application asked for. */
    CHANNEL_CLOSED(22),
    /** The group or the engine is shut down or shutting down. */
    SHUTDOWN_STARTED(23),
    /** A connect was refused or failed. */
    CONNECT_FAILED(24),
    /** A listener could not bind or listen. */
    LISTEN_FAILED(25),
    /** Close reason: an error on a listening socket. */
    ACCEPT_FAILED(26),
    /** Close reason: a write error. */
    SEND_FAILED(27),
    /** Close reason: a read error, or a protocol violation by the peer. */
    RECV_FAILED(28),
    /** Reserved; not emitted. */
    SETSOCKOPT_FAILED(29),
    /** Never emitted by the engine; free for applications. */
    PROCESSING_FAILED(30),
    /** Any code without a name. */
    UNKNOWN_ERROR(31);

    private static final Status[] BY_CODE = values();

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /**
     * Returns the one-byte code of this status.
     *
     * @return the wire code, 0..31
     */
    public int code() {
        return code;
    }

    /**
     * Returns the status with the given raw code; any value outside 0..30 maps to
     * {@link #UNKNOWN_ERROR}.
     *
     * @param raw a raw status byte (0..255) or any int
     * @return the matching status, never {@code null}
     */
    public static Status of(int raw) {
        return raw >= 0 && raw < BY_CODE.length ? BY_CODE[raw] : UNKNOWN_ERROR;
    }
}
