package dev.tofu.internal.wire;

/**
 * What a received frame must satisfy (PROTOCOL.md §1.8): an opcode of 0..7 (ByeSignal included,
 * §5.5.4); opcodes 10..15 and the local-only WelcomeRequest (8) / WelcomeResponse (9) close the
 * channel. Stateless.
 */
public final class ReceiveRules {
    private ReceiveRules() {
    }

    /**
     * Checks a decoded header.
     *
     * @throws ProtocolViolationException if the frame may not be accepted
     */
    public static void check(FrameHeader h) throws ProtocolViolationException {
        int op = h.opCode();
        if (op >= 10) {
            throw new ProtocolViolationException("received opcode " + op + " (valid: 0..9)");
        }
        if (op == 8 || op == 9) {
            throw new ProtocolViolationException("received local-only opcode " + (op == 8 ? "WelcomeRequest" : "WelcomeResponse"));
        }
    }
}
