package dev.tofu.internal.message;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.MessageRole;
import dev.tofu.MessageType;
import dev.tofu.OpCode;
import dev.tofu.Status;
import dev.tofu.TofuException;

/**
 * The engine-independent part of post(): PROTOCOL.md §2.2 rules 0–9 in that order, plus the Java
 * additions that need no channel table (§9 items 6 and 7). Rules 10–13 need the engine and are
 * checked by it afterwards.
 *
 * <p>Stateless; called on the posting thread, which must own the message (the caller has already
 * moved it to {@link Owner#ENGINE} or checked it is the application's). On failure the message's
 * status byte is set to the failure's status and a {@link TofuException} is thrown; the caller
 * gives the message back to the application.
 */
public final class PostRules {
    /** Largest text-header section and largest body, in bytes. */
    public static final int MAX_SECTION = 0xFFFF;


    private PostRules() {
    }

    /**
     * Validates and prepares {@code m} for posting.
     *
     * @param m the message (may be {@code null}: rule 0)
     * @return the opcode of the message
     * @throws TofuException with the status of the first rule broken
     */
    public static OpCode prepare(MessageStore m) {
        if (m == null) {                                                     // rule 0
            throw new TofuException(Status.NULL_MESSAGE, "post(null)");
        }
        int raw = m.opCodeRaw();
        if (raw > 9) {                                                       // rule 1
            throw fail(m, Status.INVALID_OP_CODE, "opcode " + raw + " is not 0..9");
        }
        OpCode op = OpCode.of(raw);
        if (op == OpCode.WELCOME_RESPONSE) {                                 // §9 item 7
            throw fail(m, Status.NOT_ALLOWED, "WelcomeResponse is produced by the engine, never posted");
        }
        m.setFromEngine(false);                                      // rule 2
        m.setStatusRaw(0);
        if (op.role() == MessageRole.RESPONSE && m.messageId() == 0) {       // rule 3
            throw fail(m, Status.INVALID_MESSAGE_ID, op + " needs a non-zero message id");
        }
        if (m.more() && op.type() != MessageType.REGULAR) {                  // rule 4
            throw fail(m, Status.INVALID_MORE_USAGE, "more is allowed only on Request, Response and Signal, not " + op);
        }
        boolean opens = op == OpCode.HELLO_REQUEST || op == OpCode.WELCOME_REQUEST;
        if (m.channel() == 0 && !opens) {                                    // rule 5
            throw fail(m, Status.INVALID_CHANNEL_NUMBER, op + " needs the channel number of an open channel");
        }
        if (m.channel() != 0 && opens) {                                     // §9 item 6
            throw fail(m, Status.INVALID_CHANNEL_NUMBER, op + " opens a new channel and must be posted with channel 0");
        }
        if (m.headers().length() > MAX_SECTION) {                      // rule 6
            throw fail(m, Status.INVALID_HEADERS_LEN, "text headers are " + m.headers().length() + " bytes, limit 65535");
        }
        if (opens && m.headers().length() == 0) {                      // rule 7
            throw fail(m, Status.WRONG_ADDRESS, op + " needs an address header (use Address.format)");
        }
        if (m.body().length() > MAX_SECTION) {                         // rule 8
            throw fail(m, Status.INVALID_BODY_LEN, "body is " + m.body().length() + " bytes, limit 65535");
        }
        if (m.messageId() == 0) {                                            // rule 9
            m.setMessageId(MessageIds.next());
        }
        return op;
    }

    /** Sets the message's status byte to {@code status} and returns the exception to throw. */
    public static TofuException fail(MessageStore m, Status status, String detail) {
        m.setStatusRaw(status.code());
        return new TofuException(status, detail);
    }
}
