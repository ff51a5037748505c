package dev.tofu.internal.wire;

import java.io.IOException;

/**
 * A received frame breaks PROTOCOL.md §1.8 (an opcode of 10..15, or a local-only WelcomeRequest or
 * WelcomeResponse). The channel closes with reason {@code recv_failed}.
 */
public final class ProtocolViolationException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a description of the violation. */
    public ProtocolViolationException(String message) {
        super(message);
    }
}
