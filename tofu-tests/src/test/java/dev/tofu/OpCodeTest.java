package dev.tofu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link OpCode}: the ten opcodes of PROTOCOL.md §2.1, their type, role and echo mapping. */
class OpCodeTest {

    /** The table of PROTOCOL.md §2.1 (Val, Name, Type, Role). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "0, REQUEST,          REGULAR, REQUEST",
            "1, RESPONSE,         REGULAR, RESPONSE",
            "2, SIGNAL,           REGULAR, SIGNAL",
            "3, HELLO_REQUEST,    HELLO,   REQUEST",
            "4, HELLO_RESPONSE,   HELLO,   RESPONSE",
            "5, BYE_REQUEST,      BYE,     REQUEST",
            "6, BYE_RESPONSE,     BYE,     RESPONSE",
            "7, BYE_SIGNAL,       BYE,     SIGNAL",
            "8, WELCOME_REQUEST,  WELCOME, REQUEST",
            "9, WELCOME_RESPONSE, WELCOME, RESPONSE",
    })
    void eachOpcodeHasTheValueTypeAndRoleOfTheSpecTable(int code, OpCode op, MessageType type, MessageRole role) {
        assertEquals(code, op.code(), "PROTOCOL.md §2.1: " + op + " has value " + code);
        assertSame(op, OpCode.of(code), "PROTOCOL.md §2.1: value " + code + " is " + op);
        assertSame(type, op.type(), "PROTOCOL.md §2.1: " + op + " has type " + type);
        assertSame(role, op.role(), "PROTOCOL.md §2.1: " + op + " has role " + role);
    }

    @Test
    void thereAreExactlyTenOpcodes() {
        assertEquals(10, OpCode.values().length, "PROTOCOL.md §2.1: the ten opcodes");
    }

    @Test
    void rolesPartitionTheOpcodesAsTheSpecSays() {
        assertEquals(Set.of(0, 3, 5, 8), codesWithRole(MessageRole.REQUEST), "PROTOCOL.md §2.1: request role = {0,3,5,8}");
        assertEquals(Set.of(1, 4, 6, 9), codesWithRole(MessageRole.RESPONSE), "PROTOCOL.md §2.1: response role = {1,4,6,9}");
        assertEquals(Set.of(2, 7), codesWithRole(MessageRole.SIGNAL), "PROTOCOL.md §2.1: signal role = {2,7}");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 10, 11, 12, 15, 16, 255, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void ofRejectsEveryValueOutside0To9(int code) {
        assertThrows(IllegalArgumentException.class, () -> OpCode.of(code), "PROTOCOL.md §2.1: only 0..9 are opcodes");
    }

    @ParameterizedTest(name = "{0} echoes as {1}")
    @CsvSource({
            "REQUEST,         RESPONSE",
            "SIGNAL,          SIGNAL",
            "HELLO_REQUEST,   HELLO_RESPONSE",
            "BYE_REQUEST,     BYE_RESPONSE",
            "WELCOME_REQUEST, WELCOME_RESPONSE",
    })
    void echoMapsARequestToItsMatchingResponseAndSignalToSignal(OpCode op, OpCode echo) {
        assertSame(echo, op.echo(), "PROTOCOL.md §2.1: echo maps request → matching response, Signal → Signal");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, names = {"RESPONSE", "HELLO_RESPONSE", "BYE_RESPONSE", "BYE_SIGNAL", "WELCOME_RESPONSE"})
    void echoOfAResponseOrByeSignalFailsWithInvalidOpCode(OpCode op) {
        TofuException e = assertThrows(TofuException.class, op::echo, "PROTOCOL.md §2.1: others → error InvalidOpCode");
        assertSame(Status.INVALID_OP_CODE, e.status(), "PROTOCOL.md §3: invalid_op_code for the echo helper on a non-echoable opcode");
    }

    @ParameterizedTest
    @EnumSource(value = OpCode.class, mode = EnumSource.Mode.MATCH_ANY, names = {".*REQUEST", "SIGNAL"})
    void echoOfARequestHasResponseRoleAndTheSameType(OpCode op) {
        OpCode echo = op.echo();
        assertSame(op.type(), echo.type(), "PROTOCOL.md §2.1: the echo stays in the same family");
        assertSame(op.role() == MessageRole.SIGNAL ? MessageRole.SIGNAL : MessageRole.RESPONSE, echo.role(),
                "PROTOCOL.md §2.1: request → response, Signal → Signal");
    }

    private static Set<Integer> codesWithRole(MessageRole role) {
        Set<Integer> codes = new java.util.TreeSet<>();
        for (OpCode op : EnumSet.allOf(OpCode.class)) {
            if (op.role() == role) {
                codes.add(op.code());
            }
        }
        return codes;
    }
}
