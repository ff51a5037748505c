package dev.tofu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The opcode table of PROTOCOL.md §2.1 and the status table of §3, as exposed by the public enums. */
@Timeout(10)
class OpCodeAndStatusTest {

    @Test
    void opcodeValuesAreZeroToNineInTableOrder() {
        OpCode[] all = OpCode.values();
        assertEquals(10, all.length, "§2.1: ten opcodes");
        for (int i = 0; i < all.length; i++) {
            assertEquals(i, all[i].code(), "§2.1: wire value of " + all[i]);
            assertEquals(all[i], OpCode.of(i), "§2.1: of(" + i + ")");
        }
    }

    @ParameterizedTest(name = "of({0})")
    @ValueSource(ints = {-1, 10, 15, 16, 255})
    void opcodeOutsideZeroToNineHasNoEnum(int code) {
        assertThrows(IllegalArgumentException.class, () -> OpCode.of(code), "§1.3: opcodes 10..15 are invalid");
    }

    @Test
    void rolesFollowTheTable() {
        Set<OpCode> requests = EnumSet.of(OpCode.REQUEST, OpCode.HELLO_REQUEST, OpCode.BYE_REQUEST, OpCode.WELCOME_REQUEST);
        Set<OpCode> responses = EnumSet.of(OpCode.RESPONSE, OpCode.HELLO_RESPONSE, OpCode.BYE_RESPONSE, OpCode.WELCOME_RESPONSE);
        Set<OpCode> signals = EnumSet.of(OpCode.SIGNAL, OpCode.BYE_SIGNAL);
        for (OpCode op : OpCode.values()) {
            MessageRole expected = requests.contains(op) ? MessageRole.REQUEST
                    : responses.contains(op) ? MessageRole.RESPONSE : MessageRole.SIGNAL;
            assertEquals(expected, op.role(), "§2.1: request {0,3,5,8}, response {1,4,6,9}, signal {2,7}: " + op);
        }
        assertEquals(10, requests.size() + responses.size() + signals.size(), "§2.1: every opcode has one role");
    }

    @Test
    void typesFollowTheTable() {
        MessageType[] expected = {MessageType.REGULAR, MessageType.REGULAR, MessageType.REGULAR, MessageType.HELLO,
                MessageType.HELLO, MessageType.BYE, MessageType.BYE, MessageType.BYE, MessageType.WELCOME, MessageType.WELCOME};
        for (OpCode op : OpCode.values()) {
            assertEquals(expected[op.code()], op.type(), "§2.1 type column: " + op);
        }
    }

    @Test
    void echoMapsRequestsToTheirResponseAndSignalToSignal() {
        assertEquals(OpCode.RESPONSE, OpCode.REQUEST.echo(), "§2.1 echo: Request -> Response");
        assertEquals(OpCode.SIGNAL, OpCode.SIGNAL.echo(), "§2.1 echo: Signal -> Signal");
        assertEquals(OpCode.HELLO_RESPONSE, OpCode.HELLO_REQUEST.echo(), "§2.1 echo: HelloRequest -> HelloResponse");
        assertEquals(OpCode.BYE_RESPONSE, OpCode.BYE_REQUEST.echo(), "§2.1 echo: ByeRequest -> ByeResponse");
        assertEquals(OpCode.WELCOME_RESPONSE, OpCode.WELCOME_REQUEST.echo(), "§2.1 echo: WelcomeRequest -> WelcomeResponse");
    }

    @Test
    void echoOfAResponseOrByeSignalIsInvalidOpCode() {
        for (OpCode op : EnumSet.of(OpCode.RESPONSE, OpCode.HELLO_RESPONSE, OpCode.BYE_RESPONSE, OpCode.WELCOME_RESPONSE,
                OpCode.BYE_SIGNAL)) {
            TofuException e = assertThrows(TofuException.class, op::echo, "§2.1: " + op + " has no echo");
            assertEquals(Status.INVALID_OP_CODE, e.status(), "§3: echo helper on a non-echoable opcode -> invalid_op_code");
        }
    }

    @Test
    void statusCodesAreZeroToThirtyOneInTableOrder() {
        Status[] all = Status.values();
        assertEquals(32, all.length, "§3: statuses 0..31");
        for (int i = 0; i < all.length; i++) {
            assertEquals(i, all[i].code(), "§3: code of " + all[i]);
            assertEquals(all[i], Status.of(i), "§3: of(" + i + ")");
        }
        assertEquals(11, Status.INVALID_CHANNEL_GROUP.code(), "API.md: code 11 (invelid_mchn_group) is INVALID_CHANNEL_GROUP");
        assertEquals(22, Status.CHANNEL_CLOSED.code(), "§3: channel_closed = 22");
        assertEquals(13, Status.INVALID_ADDRESS.code(), "§3: invalid_address = 13");
        assertEquals(2, Status.WRONG_ADDRESS.code(), "§3: wrong_address = 2");
    }

    @ParameterizedTest(name = "of({0})")
    @ValueSource(ints = {31, 32, 100, 255, -1, 256})
    void unmappedStatusValuesAreUnknownError(int raw) {
        assertEquals(Status.UNKNOWN_ERROR, Status.of(raw), "§3: values >= 31 map to unknown_error");
    }

    @Test
    void tofuExceptionCarriesItsStatus() {
        TofuException e = new TofuException(Status.POOL_EMPTY, "detail");
        assertEquals(Status.POOL_EMPTY, e.status(), "API.md: TofuException carries Status status()");
        assertEquals(true, e.getMessage().contains("POOL_EMPTY"), "the message names the status");
    }
}
