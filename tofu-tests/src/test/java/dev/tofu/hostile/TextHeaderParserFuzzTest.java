package dev.tofu.hostile;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tofu.Address;
import dev.tofu.Status;
import dev.tofu.TofuException;
import dev.tofu.internal.wire.TextHeaderParser;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the text-header parser (PROTOCOL.md §1.5) and the address parser (§4)
 * with Jazzer.
 *
 * <p>Properties: on any bytes and any content length the parser never throws and agrees exactly with
 * a straightforward transcription of the §1.5 algorithm (differential test); every name is non-empty
 * and holds no {@code ':'}, every value is trimmed of space and TAB. {@link Address#parse} on any
 * string either returns an address or throws {@link TofuException} with {@code invalid_address}.
 *
 * <p>CI replays the seeds in {@code src/test/resources/dev/tofu/hostile/TextHeaderParserFuzzTestInputs/}.
 * Real fuzzing: {@code JAZZER_FUZZ=1 ./mvnw -pl tofu-tests -am test -Dtest=TextHeaderParserFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Timeout(60)
class TextHeaderParserFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parserMatchesTheSpecAlgorithmOnAnyBytes(FuzzedDataProvider data) {
        int slack = data.consumeInt(0, 8);
        byte[] raw = data.consumeRemainingAsBytes();
        int length = Math.max(0, raw.length - slack); // content may be shorter than the array
        List<String[]> got = new ArrayList<>();
        TextHeaderParser.parse(raw, length, (n, v) -> {
            got.add(new String[] {n, v});
            return true;
        });
        List<String[]> want = reference(raw, length);
        assertEquals(want.size(), got.size(), "§1.5: same number of entries");
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i)[0], got.get(i)[0], "§1.5: name " + i);
            assertEquals(want.get(i)[1], got.get(i)[1], "§1.5: value " + i);
            assertFalse(got.get(i)[0].isEmpty(), "§1.5 step 5: an empty name ends the iteration");
            assertFalse(got.get(i)[0].contains(":"), "§1.5 step 4: split at the first colon");
            String v = got.get(i)[1];
            assertTrue(v.isEmpty() || (v.charAt(0) != ' ' && v.charAt(0) != '\t'
                    && v.charAt(v.length() - 1) != ' ' && v.charAt(v.length() - 1) != '\t'), "§1.5: value trimmed");
        }
        // stopping early is honoured
        int[] visits = {0};
        TextHeaderParser.parse(raw, length, (n, v) -> ++visits[0] < 1);
        assertEquals(Math.min(1, want.size()), visits[0], "visitor returning false stops the iteration");
    }

    @FuzzTest(maxDuration = "5s")
    void addressParseReturnsAnAddressOrInvalidAddress(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        try {
            Address a = Address.parse(text);
            assertTrue(a.value().startsWith("tcp|") || a.value().startsWith("uds|"), "§4: " + a.value());
        } catch (TofuException e) {
            assertEquals(Status.INVALID_ADDRESS, e.status(), "§4: malformed address → invalid_address");
        }
    }

    /** §1.5 "Parsing", transcribed step by step. */
    private static List<String[]> reference(byte[] s, int len) {
        List<String[]> out = new ArrayList<>();
        int i = 0;
        while (i < len) {
            int j = -1;
            for (int k = i; k + 1 < len; k++) {
                if (s[k] == '\r' && s[k + 1] == '\n') {
                    j = k;
                    break;
                }
            }
            int start = i;
            int end;
            if (j < 0) {
                end = len;
                i = len;
            } else if (j == i) {
                i += 2;
                continue;
            } else {
                end = j;
                i = j + 2;
            }
            int colon = -1;
            for (int k = start; k < end; k++) {
                if (s[k] == ':') {
                    colon = k;
                    break;
                }
            }
            int nameEnd = colon < 0 ? end : colon;
            if (nameEnd == start) {
                break;
            }
            int vs = colon < 0 ? end : colon + 1;
            int ve = end;
            while (vs < ve && (s[vs] == ' ' || s[vs] == '\t')) {
                vs++;
            }
            while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t')) {
                ve--;
            }
            out.add(new String[] {new String(s, start, nameEnd - start, StandardCharsets.UTF_8),
                    new String(s, vs, ve - vs, StandardCharsets.UTF_8)});
        }
        return out;
    }
}
