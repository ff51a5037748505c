package dev.tofu;

import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.PostRules;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * PROTOCOL.md §2.2 as a property: for any combination of opcode, id, more, channel and section
 * sizes, {@link PostRules#prepare} reports the first rule broken, in table order, or succeeds and
 * leaves the message prepared. The §9 item 6 check (an opening request on channel ≠ 0) is modelled
 * next to rule 5, the other channel-number rule. WelcomeResponse (§9 item 7, whose place in the
 * order the spec does not fix) is covered by {@link PostRulesTest}.
 */
class PostRulesOrderTest {
    private static final MessageAccess ACCESS = MessageAccess.get();
    private static final int LIMIT = 65535;

    @Property(tries = 400)
    void prepareReportsTheFirstBrokenRuleInTableOrder(
            @ForAll("opcodes") int rawOpCode,
            @ForAll("ids") long messageId,
            @ForAll boolean more,
            @ForAll("channels") int channel,
            @ForAll("sizes") int headerBytes,
            @ForAll("sizes") int bodyBytes,
            @ForAll boolean engineOrigin) {
        Message m = new Message().messageId(messageId).more(more).channel(channel)
                .origin(engineOrigin ? Origin.ENGINE : Origin.APPLICATION).status(Status.PROCESSING_FAILED);
        ACCESS.store(m).setOpCodeRaw(rawOpCode);
        if (headerBytes > 0) {
            m.headers().append("h", "v".repeat(headerBytes - 4));
        }
        m.body().append(new byte[bodyBytes]);

        Status expected = firstBrokenRule(rawOpCode, messageId, more, channel, headerBytes, bodyBytes);
        try {
            PostRules.prepare(ACCESS.store(m));
            if (expected != Status.SUCCESS) {
                fail("PROTOCOL.md §2.2: expected " + expected + " for " + m);
            }
            assertSame(Origin.APPLICATION, m.origin(), "PROTOCOL.md §2.2 rule 2: origin forced to application");
            assertSame(Status.SUCCESS, m.status(), "PROTOCOL.md §2.2 rule 2: status forced to 0");
            if (messageId == 0) {
                assertNotEquals(0, m.messageId(), "PROTOCOL.md §2.2 rule 9: id 0 gets the next counter value");
            } else {
                assertEquals(messageId, m.messageId(), "PROTOCOL.md §2.2 rule 9: app ids are kept");
            }
        } catch (TofuException e) {
            assertSame(expected, e.status(), "PROTOCOL.md §2.2: the first rule broken, in table order, for " + m);
            assertSame(expected, m.status(), "PROTOCOL.md §2.2: the message's status byte is set to the matching status");
            assertEquals(messageId, m.messageId(), "PROTOCOL.md §2.2: a failed post assigns no id (rule 9 is last)");
        }
    }

    /** The reference model: PROTOCOL.md §2.2 rules 1–9 read straight from the table. */
    private static Status firstBrokenRule(int op, long id, boolean more, int channel, int headerBytes, int bodyBytes) {
        if (op > 9) {
            return Status.INVALID_OP_CODE;                          // rule 1
        }
        boolean responseRole = op == 1 || op == 4 || op == 6 || op == 9;
        boolean regular = op <= 2;
        boolean opens = op == 3 || op == 8;
        if (responseRole && id == 0) {
            return Status.INVALID_MESSAGE_ID;                       // rule 3
        }
        if (more && !regular) {
            return Status.INVALID_MORE_USAGE;                       // rule 4
        }
        if (channel == 0 && !opens || channel != 0 && opens) {
            return Status.INVALID_CHANNEL_NUMBER;                   // rule 5 (+ §9 item 6)
        }
        if (headerBytes > LIMIT) {
            return Status.INVALID_HEADERS_LEN;                      // rule 6
        }
        if (opens && headerBytes == 0) {
            return Status.WRONG_ADDRESS;                            // rule 7
        }
        if (bodyBytes > LIMIT) {
            return Status.INVALID_BODY_LEN;                         // rule 8
        }
        return Status.SUCCESS;
    }

    @Provide
    Arbitrary<Integer> opcodes() {
        return Arbitraries.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15); // 9 (WelcomeResponse) excluded, see class comment
    }

    @Provide
    Arbitrary<Long> ids() {
        return Arbitraries.of(0L, 0L, 1L, -1L, 123_456L);
    }

    @Provide
    Arbitrary<Integer> channels() {
        return Arbitraries.of(0, 0, 1, 65535);
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(0, 0, 10, LIMIT, LIMIT + 1);
    }
}
