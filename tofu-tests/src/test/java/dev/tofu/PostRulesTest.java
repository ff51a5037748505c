package dev.tofu;

import static dev.tofu.testing.Stores.v;

import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessageIds;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.PostRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The engine-independent part of post(): PROTOCOL.md §2.2 rules 0–9, in order, plus the Java
 * additions of §9 items 6 and 7. Rules 10–13 need an engine and are not covered here.
 */
class PostRulesTest {
    private static final MessageAccess ACCESS = MessageAccess.get();
    private static final int LIMIT = 65535;

    // ---- rule 0 ---------------------------------------------------------------------------------

    @Test
    void rule0NullMessageFailsWithNullMessage() {
        TofuException e = assertThrows(TofuException.class, () -> PostRules.prepare(null), "PROTOCOL.md §2.2 rule 0");
        assertSame(Status.NULL_MESSAGE, e.status(), "PROTOCOL.md §2.2 rule 0: NullMessage → 4");
        assertEquals(4, e.status().code(), "PROTOCOL.md §2.2 rule 0: NullMessage → 4");
    }

    // ---- rule 1 ---------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {10, 11, 12, 15})
    void rule1OpcodeAbove9FailsWithInvalidOpCode(int raw) {
        Message m = new Message().channel(1).messageId(1);
        ACCESS.store(m).setOpCodeRaw(raw);
        assertRejected(m, Status.INVALID_OP_CODE, "PROTOCOL.md §2.2 rule 1: opCode is 0..9 (InvalidOpCode → 6)");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = "WELCOME_RESPONSE", mode = EnumSource.Mode.EXCLUDE)
    void rule1EveryOpcodeFrom0To8PassesWhenTheRestIsValid(OpCode op) {
        Message m = valid(op);
        assertSame(op, PostRules.prepare(ACCESS.store(m)), "PROTOCOL.md §2.2: a valid " + op + " passes rules 0–9");
        assertSame(Status.SUCCESS, m.status(), "PROTOCOL.md §2.2 rule 2: status 0 after a successful prepare");
    }

    // ---- rule 2 ---------------------------------------------------------------------------------

    @Test
    void rule2ForcesOriginApplicationAndStatusSuccess() {
        Message m = valid(OpCode.REQUEST).origin(Origin.ENGINE).status(Status.CHANNEL_CLOSED);
        PostRules.prepare(ACCESS.store(m));
        assertSame(Origin.APPLICATION, m.origin(), "PROTOCOL.md §2.2 rule 2: force origin = application");
        assertSame(Status.SUCCESS, m.status(), "PROTOCOL.md §2.2 rule 2: force status = 0; apps cannot send a status");
    }

    @Test
    void rule2OverwritesAnUnknownRawStatusToo() {
        Message m = valid(OpCode.SIGNAL);
        ACCESS.store(m).setStatusRaw(200);
        PostRules.prepare(ACCESS.store(m));
        assertEquals(0, ACCESS.store(m).statusRaw(), "PROTOCOL.md §2.2 rule 2: status = 0 overwrites whatever the app set");
    }

    // ---- rule 3 ---------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"RESPONSE", "HELLO_RESPONSE", "BYE_RESPONSE"})
    void rule3ResponseRoleWithMessageIdZeroFailsWithInvalidMessageId(OpCode op) {
        Message m = valid(op).messageId(0);
        assertRejected(m, Status.INVALID_MESSAGE_ID, "PROTOCOL.md §2.2 rule 3: response role requires message_id != 0 (→ 12)");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"RESPONSE", "HELLO_RESPONSE", "BYE_RESPONSE"})
    void rule3ResponseRoleWithANonZeroMessageIdPasses(OpCode op) {
        Message m = valid(op).messageId(5);
        PostRules.prepare(ACCESS.store(m));
        assertEquals(5, m.messageId(), "PROTOCOL.md §2.2 rule 3/9: an app-chosen id is kept");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"REQUEST", "SIGNAL", "BYE_REQUEST", "BYE_SIGNAL"})
    void rule3DoesNotApplyToRequestsAndSignals(OpCode op) {
        Message m = valid(op).messageId(0);
        PostRules.prepare(ACCESS.store(m));
        assertNotEquals(0, m.messageId(), "PROTOCOL.md §2.2 rule 3 is for response roles only; rule 9 assigns an id");
    }

    // ---- rule 4 ---------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"HELLO_REQUEST", "HELLO_RESPONSE", "BYE_REQUEST", "BYE_RESPONSE", "BYE_SIGNAL", "WELCOME_REQUEST"})
    void rule4MoreOnANonRegularMessageFailsWithInvalidMoreUsage(OpCode op) {
        Message m = valid(op).more(true);
        assertRejected(m, Status.INVALID_MORE_USAGE, "PROTOCOL.md §2.2 rule 4: more = 1 only on regular messages (→ 9)");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"REQUEST", "RESPONSE", "SIGNAL"})
    void rule4MoreOnARegularMessagePasses(OpCode op) {
        Message m = valid(op).more(true);
        PostRules.prepare(ACCESS.store(m));
        assertEquals(true, m.more(), "PROTOCOL.md §2.2 rule 4: more = 1 allowed on Request, Response, Signal");
    }

    // ---- rule 5 (and §9 item 6) -----------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"REQUEST", "RESPONSE", "SIGNAL", "HELLO_RESPONSE", "BYE_REQUEST", "BYE_RESPONSE", "BYE_SIGNAL"})
    void rule5ChannelZeroOnANonOpeningOpcodeFailsWithInvalidChannelNumber(OpCode op) {
        Message m = valid(op).channel(0);
        assertRejected(m, Status.INVALID_CHANNEL_NUMBER,
                "PROTOCOL.md §2.2 rule 5: channel 0 only for WelcomeRequest/HelloRequest (→ 10)");
    }

    @Test
    void recipeR3AFreshPooledMessageIsRejectedWithInvalidChannelNumber() {
        Message m = MessageAccess.get().lease(new MessagePool(1, 1).get(AllocationStrategy.ALWAYS));
        assertRejected(m, Status.INVALID_CHANNEL_NUMBER, "PROTOCOL.md §7 R3: a fresh pooled message (Request, channel 0)");
    }

    @Test
    void recipeR4ByeRequestOnChannelZeroIsRejectedWithInvalidChannelNumber() {
        Message m = new Message().opCode(OpCode.BYE_REQUEST).channel(0);
        assertRejected(m, Status.INVALID_CHANNEL_NUMBER, "PROTOCOL.md §7 R4: ByeRequest, channel 0");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"HELLO_REQUEST", "WELCOME_REQUEST"})
    void javaAdditionAnOpeningRequestOnAnExistingChannelFailsWithInvalidChannelNumber(OpCode op) {
        Message m = valid(op).channel(5);
        assertRejected(m, Status.INVALID_CHANNEL_NUMBER,
                "PROTOCOL.md §9 item 6: Hello/WelcomeRequest with channel_number != 0 → InvalidChannelNumber");
    }

    // ---- rule 6 ---------------------------------------------------------------------------------

    @Test
    void rule6TextHeadersOver65535BytesFailWithInvalidHeadersLen() {
        Message m = valid(OpCode.REQUEST);
        appendHeaderSection(m, LIMIT + 1);
        assertRejected(m, Status.INVALID_HEADERS_LEN, "PROTOCOL.md §2.2 rule 6: text-header section <= 65535 bytes (→ 7)");
    }

    @Test
    void rule6TextHeadersOfExactly65535BytesPass() {
        Message m = valid(OpCode.REQUEST);
        appendHeaderSection(m, LIMIT);
        assertEquals(LIMIT, m.headers().byteLength(), "test setup: exactly the limit");
        PostRules.prepare(ACCESS.store(m));
        assertSame(Status.SUCCESS, m.status(), "PROTOCOL.md §2.2 rule 6: 65535 bytes is allowed");
    }

    // ---- rule 7 ---------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"HELLO_REQUEST", "WELCOME_REQUEST"})
    void recipeR5OpeningRequestWithoutTextHeadersFailsWithWrongAddress(OpCode op) {
        Message m = new Message().opCode(op);
        assertRejected(m, Status.WRONG_ADDRESS,
                "PROTOCOL.md §2.2 rule 7 / §7 R5: Hello/WelcomeRequest needs a non-empty text-header section (→ 2)");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"HELLO_REQUEST", "WELCOME_REQUEST"})
    void rule7DoesNotParseTheAddress(OpCode op) {
        Message m = new Message().opCode(op);
        m.headers().append("not-an-address", "whatever");
        PostRules.prepare(ACCESS.store(m));
        assertSame(Status.SUCCESS, m.status(), "PROTOCOL.md §2.2 rule 7: the address is not parsed here");
    }

    @Test
    void rule7DoesNotApplyToOtherOpcodes() {
        Message m = new Message().opCode(OpCode.HELLO_RESPONSE).channel(3).messageId(9);
        PostRules.prepare(ACCESS.store(m));
        assertSame(Status.SUCCESS, m.status(), "PROTOCOL.md §2.2 rule 7 is only for WelcomeRequest/HelloRequest");
    }

    // ---- rule 8 ---------------------------------------------------------------------------------

    @Test
    void rule8BodyOver65535BytesFailsWithInvalidBodyLen() {
        Message m = valid(OpCode.REQUEST);
        m.body().append(new byte[LIMIT + 1]);
        assertRejected(m, Status.INVALID_BODY_LEN, "PROTOCOL.md §2.2 rule 8: body <= 65535 bytes (→ 8)");
    }

    @Test
    void rule8BodyOfExactly65535BytesPasses() {
        Message m = valid(OpCode.REQUEST);
        m.body().append(new byte[LIMIT]);
        PostRules.prepare(ACCESS.store(m));
        assertSame(Status.SUCCESS, m.status(), "PROTOCOL.md §2.2 rule 8: 65535 bytes is allowed");
        assertEquals(LIMIT, m.body().length(), "prepare leaves the body alone");
    }

    // ---- rule 9 ---------------------------------------------------------------------------------

    @Test
    void rule9MessageIdZeroGetsANonZeroId() {
        Message m = valid(OpCode.REQUEST).messageId(0);
        PostRules.prepare(ACCESS.store(m));
        assertNotEquals(0, m.messageId(), "PROTOCOL.md §2.2 rule 9 / §8: auto message_id is non-zero");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, Long.MAX_VALUE, -1L, Long.MIN_VALUE})
    void rule9AppChosenIdsAreKept(long id) {
        Message m = valid(OpCode.REQUEST).messageId(id);
        PostRules.prepare(ACCESS.store(m));
        assertEquals(id, m.messageId(), "PROTOCOL.md §2.2 rule 9: app-chosen ids are kept (unsigned 64-bit)");
    }

    @Test
    void rule9TheSameAppIdMayBeUsedTwice() {
        Message a = valid(OpCode.REQUEST).messageId(7);
        Message b = valid(OpCode.REQUEST).messageId(7);
        PostRules.prepare(ACCESS.store(a));
        PostRules.prepare(ACCESS.store(b));
        assertEquals(7, b.messageId(), "PROTOCOL.md §2.2 rule 9: app-chosen ids are never checked for uniqueness");
    }

    @Test
    void rule9TwoConsecutiveAssignmentsDifferByExactlyOne() {
        long first = MessageIds.next();
        long second = MessageIds.next();
        assertEquals(first + 1, second, "PROTOCOL.md §8: two consecutive assignments differ by exactly 1");
        assertNotEquals(0, first, "PROTOCOL.md §2.2 rule 9: the counter starts at 1");
    }

    @Test
    void rule9PrepareDrawsFromTheSameProcessWideCounter() {
        Message a = valid(OpCode.REQUEST);
        Message b = valid(OpCode.SIGNAL);
        PostRules.prepare(ACCESS.store(a));
        PostRules.prepare(ACCESS.store(b));
        assertEquals(a.messageId() + 1, b.messageId(), "PROTOCOL.md §2.2 rule 9: +1 per assignment");
        assertEquals(b.messageId() + 1, MessageIds.next(), "PROTOCOL.md §2.2 rule 9: one counter shared by all");
    }

    @Test
    void rule9AFailedPrepareDoesNotAssignAnId() {
        Message m = valid(OpCode.REQUEST).messageId(0);
        m.body().append(new byte[LIMIT + 1]);
        assertRejected(m, Status.INVALID_BODY_LEN, "PROTOCOL.md §2.2 rule 8");
        assertEquals(0, m.messageId(), "PROTOCOL.md §2.2: rule 9 comes after rule 8, so a failed post assigns no id");
    }

    // ---- §9 item 7 ------------------------------------------------------------------------------

    @Test
    void javaAdditionAppPostedWelcomeResponseFailsWithNotAllowed() {
        Message m = new Message().opCode(OpCode.WELCOME_RESPONSE).channel(3).messageId(9);
        assertRejected(m, Status.NOT_ALLOWED, "PROTOCOL.md §9 item 7: app-posted WelcomeResponse → NotAllowed (3)");
    }

    // ---- order ----------------------------------------------------------------------------------

    @Test
    void orderInvalidOpcodeIsReportedBeforeMoreAndChannelRules() {
        Message m = new Message().more(true).channel(0);
        ACCESS.store(m).setOpCodeRaw(12);
        assertRejected(m, Status.INVALID_OP_CODE, "PROTOCOL.md §2.2: rule 1 before rules 4 and 5");
    }

    @Test
    void orderMissingResponseIdIsReportedBeforeMoreMisuse() {
        Message m = new Message().opCode(OpCode.BYE_RESPONSE).channel(0).more(true).messageId(0);
        assertRejected(m, Status.INVALID_MESSAGE_ID, "PROTOCOL.md §2.2: rule 3 before rules 4 and 5");
    }

    @Test
    void orderMoreMisuseIsReportedBeforeChannelZero() {
        Message m = new Message().opCode(OpCode.BYE_REQUEST).channel(0).more(true);
        assertRejected(m, Status.INVALID_MORE_USAGE, "PROTOCOL.md §2.2: rule 4 before rule 5");
    }

    @Test
    void orderChannelZeroIsReportedBeforeOversizedSections() {
        Message m = new Message().opCode(OpCode.SIGNAL).channel(0);
        appendHeaderSection(m, LIMIT + 1);
        m.body().append(new byte[LIMIT + 1]);
        assertRejected(m, Status.INVALID_CHANNEL_NUMBER, "PROTOCOL.md §2.2: rule 5 before rules 6 and 8");
    }

    @Test
    void orderOversizedHeadersAreReportedBeforeAnOversizedBody() {
        Message m = valid(OpCode.REQUEST);
        appendHeaderSection(m, LIMIT + 1);
        m.body().append(new byte[LIMIT + 1]);
        assertRejected(m, Status.INVALID_HEADERS_LEN, "PROTOCOL.md §2.2: rule 6 before rule 8");
    }

    @Test
    void orderMissingAddressIsReportedBeforeAnOversizedBody() {
        Message m = new Message().opCode(OpCode.HELLO_REQUEST);
        m.body().append(new byte[LIMIT + 1]);
        assertRejected(m, Status.WRONG_ADDRESS, "PROTOCOL.md §2.2: rule 7 before rule 8");
    }

    @Test
    void orderStatusOfTheFailedRuleReplacesTheStatusTheAppSet() {
        Message m = valid(OpCode.RESPONSE).messageId(0).status(Status.PROCESSING_FAILED);
        assertRejected(m, Status.INVALID_MESSAGE_ID, "PROTOCOL.md §2.2: status is set to the failure's status");
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** A message of the given opcode that passes rules 0–9. */
    static Message valid(OpCode op) {
        Message m = new Message().opCode(op);
        boolean opens = op == OpCode.HELLO_REQUEST || op == OpCode.WELCOME_REQUEST;
        if (opens) {
            m.headers().append("~connect_to", "tcp|127.0.0.1|7099");
        } else {
            m.channel(1);
        }
        if (op.role() == MessageRole.RESPONSE) {
            m.messageId(1);
        }
        return m;
    }

    /** Appends text headers making the section exactly {@code bytes} long (one "h:vvv…\r\n" line). */
    static void appendHeaderSection(Message m, int bytes) {
        int before = m.headers().byteLength();
        m.headers().append("h", "v".repeat(bytes - before - 4));
        assertEquals(bytes, m.headers().byteLength(), "test setup: header section size");
    }

    /** Asserts prepare() throws with {@code expected} and leaves that status in the message (§2.2). */
    static void assertRejected(Message m, Status expected, String rule) {
        TofuException e = assertThrows(TofuException.class, () -> PostRules.prepare(ACCESS.store(m)), rule);
        assertSame(expected, e.status(), rule);
        assertSame(e.status(), m.status(),
                "PROTOCOL.md §2.2: on failure the message's status byte is set to the matching status");
    }
}
