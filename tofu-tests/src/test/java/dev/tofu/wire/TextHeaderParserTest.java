package dev.tofu.wire;

import dev.tofu.Message;
import dev.tofu.TextHeader;
import dev.tofu.testing.RawFrames;
import dev.tofu.internal.wire.TextHeaderParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The text-header parser of PROTOCOL.md §1.5, byte-exact with tofu: directly, and through the
 * {@code TextHeaders} of a message decoded from the wire.
 */
@Timeout(10)
class TextHeaderParserTest {

    static Stream<Arguments> vectors() {
        return Stream.of(
                Arguments.of("", List.of()),
                Arguments.of("a: b", List.of(h("a", "b"))),
                Arguments.of("a: b\r\nc:  \r\nd:e\r\n\r\nf: g\r\n\r\n", List.of(h("a", "b"), h("c", ""), h("d", "e"), h("f", "g"))),
                Arguments.of(": ss\r\n\r\n", List.of()),
                Arguments.of("a:b\r\n\r\n: ss\r\n\r\n", List.of(h("a", "b"))),
                Arguments.of("k:v:w", List.of(h("k", "v:w"))),
                Arguments.of("x\r\n", List.of(h("x", ""))),
                Arguments.of("a : b", List.of(h("a ", "b"))),
                Arguments.of("\r\n\r\n\r\na:1", List.of(h("a", "1"))),
                Arguments.of("a:1\r\n:2\r\nb:3\r\n", List.of(h("a", "1"))),
                Arguments.of(" a:\t 1 \t", List.of(h(" a", "1"))),
                Arguments.of("a:1\nb:2\r\n", List.of(h("a", "1\nb:2"))),
                Arguments.of("a:1\r", List.of(h("a", "1\r"))),
                Arguments.of("a\r\n", List.of(h("a", ""))),
                Arguments.of("A:1\r\na:2\r\nA:3\r\n", List.of(h("A", "1"), h("a", "2"), h("A", "3"))));
    }

    private static TextHeader h(String name, String value) {
        return new TextHeader(name, value);
    }

    private static List<TextHeader> parse(String section) {
        byte[] bytes = section.getBytes(StandardCharsets.UTF_8);
        List<TextHeader> out = new ArrayList<>();
        TextHeaderParser.parse(bytes, bytes.length, (n, v) -> out.add(new TextHeader(n, v)));
        return out;
    }

    private static Message decodedWithSection(String section) {
        return RawFrames.receivedWithTextSection(section);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("vectors")
    void parserYieldsTheSpecifiedEntries(String section, List<TextHeader> expected) {
        assertEquals(expected, parse(section), "§1.5 parsing vector " + section.replace("\r\n", "\\r\\n"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("vectors")
    void decodedMessageHeadersYieldTheSpecifiedEntries(String section, List<TextHeader> expected) throws IOException {
        Message m = decodedWithSection(section);
        assertEquals(expected, m.headers().all(), "§1.5 via TextHeaders.all() of a received frame");
        List<TextHeader> iterated = new ArrayList<>();
        m.headers().forEach(iterated::add);
        assertEquals(expected, iterated, "§1.5: iteration is in wire order");
        assertEquals(section.isEmpty(), m.headers().isEmpty(), "§1.6: an empty section reads as no headers");
        assertEquals(section.getBytes(StandardCharsets.UTF_8).length, m.headers().byteLength(),
                "§1.7: the section is delivered unchanged");
    }

    @Test
    void missingTrailingCrLfIsTolerated() throws IOException {
        assertEquals("b", decodedWithSection("a:1\r\nb").headers().all().get(1).name(),
                "§1.5 step 3: the rest without CRLF is the final line");
        assertEquals("2", decodedWithSection("a:1\r\nb:2").headers().get("b"), "§1.5: no CRLF at the end");
    }

    @Test
    void emptyLinesAreSkipped() throws IOException {
        assertEquals(List.of(h("a", "1"), h("b", "2")), decodedWithSection("\r\na:1\r\n\r\n\r\nb:2\r\n\r\n").headers().all(),
                "§1.5 step 3: empty lines are skipped");
    }

    @Test
    void emptyNameEndsTheIterationSoLaterHeadersAreInvisible() throws IOException {
        Message m = decodedWithSection("a:1\r\n:hidden\r\nb:2\r\n");
        assertNull(m.headers().get("b"), "§1.5 step 5: an empty name ends iteration; later lines are not visited");
        assertEquals("1", m.headers().get("a"), "§1.5: entries before the empty name are yielded");
    }

    @Test
    void nameIsNotTrimmedButValueIs() throws IOException {
        Message m = decodedWithSection("a : b \r\n");
        assertNull(m.headers().get("a"), "§1.5 step 4: \"a : b\" has name \"a \", not \"a\"");
        assertEquals("b", m.headers().get("a "), "§1.5 step 4: the value is trimmed of space and TAB");
    }

    @Test
    void valueSplitsAtTheFirstColonOnly() throws IOException {
        assertEquals("v:w", decodedWithSection("k:v:w").headers().get("k"), "§1.5 step 4: split at the first ':'");
    }

    @Test
    void lineWithoutColonIsANameWithAnEmptyValue() throws IOException {
        assertEquals("", decodedWithSection("x\r\n").headers().get("x"), "§1.5 step 4: whole line is the name, value empty");
    }

    @Test
    void getReturnsTheFirstOfDuplicatesAndIsCaseSensitive() throws IOException {
        Message m = decodedWithSection("n:1\r\nn:2\r\nN:3\r\n");
        assertEquals("1", m.headers().get("n"), "§1.5: duplicates are allowed, get() returns the first");
        assertEquals("3", m.headers().get("N"), "§1.5: header names are case-sensitive");
        assertNull(m.headers().get("missing"), "API.md: get() of an absent name is null");
    }

    @Test
    void parserStopsEarlyWhenTheVisitorSaysSo() {
        byte[] bytes = "a:1\r\nb:2\r\nc:3\r\n".getBytes(StandardCharsets.US_ASCII);
        List<String> seen = new ArrayList<>();
        TextHeaderParser.parse(bytes, bytes.length, (n, v) -> {
            seen.add(n);
            return !n.equals("b");
        });
        assertEquals(List.of("a", "b"), seen, "visitor returning false stops the iteration");
        assertEquals("2", TextHeaderParser.first(bytes, bytes.length, "b"), "first() finds the first match");
    }

    @Test
    void parserReadsOnlyTheDeclaredLength() {
        byte[] bytes = "a:1\r\nb:2\r\n".getBytes(StandardCharsets.US_ASCII);
        List<String> names = new ArrayList<>();
        TextHeaderParser.parse(bytes, 5, (n, v) -> names.add(n));
        assertEquals(List.of("a"), names, "§1.7: only [0, thl) of the buffer is the section");
    }
}
