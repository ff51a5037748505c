package dev.tofu;

import dev.tofu.internal.message.MessageAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The text-header writer of PROTOCOL.md §1.5 ({@code TextHeaders.append}): trimmed name, value as
 * given, {@code name:value CR LF}, strict about CR, LF and ':'.
 */
@Timeout(10)
class TextHeadersTest {

    private static String wire(Message m) {
        return new String(MessageAccess.get().store(m).headers().toByteArray(), StandardCharsets.UTF_8);
    }

    @Test
    void appendTrimsTheNameAndWritesNameColonValueCrLf() {
        Message m = new Message();
        m.headers().append(" a ", "b");
        assertEquals("a:b\r\n", wire(m), "§1.5/§8: append(\" a \", \"b\") -> a:b\\r\\n");
        assertEquals(5, m.headers().byteLength(), "§1.5: exactly the five bytes a:b CR LF");
    }

    @Test
    void nameIsTrimmedOfSpaceTabCrAndLfAtBothEnds() {
        Message m = new Message();
        m.headers().append("\t\r\n x \n\r\t", "1");
        assertEquals("x:1\r\n", wire(m), "§1.5: name trimmed of space, TAB, CR, LF");
    }

    @Test
    void valueIsUsedAsGivenWithoutTrimming() {
        Message m = new Message();
        m.headers().append("k", "  v v\t");
        assertEquals("k:  v v\t\r\n", wire(m), "§1.5: value is used as given (not trimmed), no space after the colon");
    }

    @Test
    void entriesAreAppendedInCallOrderAndDuplicatesAreKept() {
        Message m = new Message();
        m.headers().append("b", "1").append("a", "2").append("b", "3");
        assertEquals("b:1\r\na:2\r\nb:3\r\n", wire(m), "§1.5: call order, duplicates allowed");
        assertEquals(List.of(new TextHeader("b", "1"), new TextHeader("a", "2"), new TextHeader("b", "3")),
                m.headers().all(), "§1.5: the parser reads back what the writer wrote");
        assertEquals("1", m.headers().get("b"), "API.md: get() returns the first match");
    }

    @ParameterizedTest(name = "name \"{0}\"")
    @ValueSource(strings = {"", " ", "\t", "\r\n", " \t\r\n "})
    void emptyNameAfterTrimmingIsRejected(String name) {
        Message m = new Message();
        assertThrows(IllegalArgumentException.class, () -> m.headers().append(name, "v"), "§1.5: empty name -> BadName");
        assertTrue(m.headers().isEmpty(), "§1.5: a rejected append writes nothing");
    }

    @Test
    void emptyValueIsRejected() {
        Message m = new Message();
        assertThrows(IllegalArgumentException.class, () -> m.headers().append("n", ""), "§1.5: empty value -> BadValue");
        assertTrue(m.headers().isEmpty(), "§1.5: a rejected append writes nothing");
    }

    @ParameterizedTest(name = "name \"{0}\"")
    @ValueSource(strings = {"a\rb", "a\nb", "a\r\nb", "a:b", ":a", "a:", "~connect_to:x"})
    void crLfOrColonInsideTheNameIsRejected(String name) {
        Message m = new Message();
        assertThrows(IllegalArgumentException.class, () -> m.headers().append(name, "v"),
                "§1.5: Java MUST reject CR or LF inside name and ':' inside name");
        assertTrue(m.headers().isEmpty(), "§1.5: a rejected append writes nothing");
    }

    @ParameterizedTest(name = "value \"{0}\"")
    @ValueSource(strings = {"\r", "\n", "a\rb", "a\nb", "a\r\nb", "v\r\n", "\r\nv"})
    void crOrLfInsideTheValueIsRejected(String value) {
        Message m = new Message();
        assertThrows(IllegalArgumentException.class, () -> m.headers().append("n", value),
                "§1.5: Java MUST reject CR or LF inside value");
        assertTrue(m.headers().isEmpty(), "§1.5: a rejected append writes nothing");
    }

    @Test
    void colonInsideTheValueIsAllowed() {
        Message m = new Message();
        m.headers().append("~connect_to", "tcp|::1|80").append("k", "v:w");
        assertEquals("tcp|::1|80", m.headers().get("~connect_to"), "§1.5: only the name may not hold ':'");
        assertEquals("v:w", m.headers().get("k"), "§1.5: the parser splits at the first ':' only");
    }

    @Test
    void nonAsciiNamesAndValuesAreWrittenAsUtf8() {
        Message m = new Message();
        m.headers().append("grüße", "日本");
        assertEquals("grüße:日本\r\n", wire(m), "§1.5: bytes are UTF-8");
        assertEquals("日本", m.headers().get("grüße"), "§1.5: round trip through the parser");
    }

    @Test
    void clearRemovesEveryHeader() {
        Message m = new Message();
        m.headers().append("a", "1");
        m.headers().clear();
        assertTrue(m.headers().isEmpty(), "API.md: clear() empties the section");
        assertEquals(0, m.headers().byteLength(), "API.md: byteLength() of an empty section is 0");
        assertEquals(List.of(), m.headers().all(), "§1.6: no headers");
    }
}
