package dev.tofu.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Code shown in the README and docs/ stays the code the tests compile and run: a code block right
 * after a {@code <!-- snippet: PATH -->} line must consist of lines of PATH, in PATH's order. Lines
 * are compared as code: a trailing {@code //} comment and runs of blanks do not count, so a snippet
 * may comment differently. A line holding only {@code ...} skips any number of lines.
 */
@Timeout(30)
class DocSnippetsTest {
    private static final Pattern MARKER = Pattern.compile("^<!-- snippet: (\\S+) -->$");

    @Test
    void everyMarkedSnippetIsCutFromTheFileItNames() throws IOException {
        Path root = ProtocolReferencesTest.RepositoryRoot.find();
        List<String> problems = new ArrayList<>();
        int snippets = 0;
        int inReadme = 0;
        for (Path doc : ProtocolReferencesTest.RepositoryRoot.sourceAndDocFiles(root)) {
            if (!doc.toString().endsWith(".md")) {
                continue;
            }
            List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = MARKER.matcher(lines.get(i).strip());
                if (!m.matches()) {
                    continue;
                }
                snippets++;
                if (root.relativize(doc).toString().equals("README.md")) {
                    inReadme++;
                }
                String where = root.relativize(doc) + ":" + (i + 1);
                Path source = root.resolve(m.group(1));
                if (!Files.isRegularFile(source)) {
                    problems.add(where + ": no file " + m.group(1));
                    continue;
                }
                int open = i + 1;
                if (open >= lines.size() || !lines.get(open).startsWith("```")) {
                    problems.add(where + ": the marker is not followed by a code block");
                    continue;
                }
                List<String> block = new ArrayList<>();
                int j = open + 1;
                while (j < lines.size() && !lines.get(j).startsWith("```")) {
                    block.add(lines.get(j));
                    j++;
                }
                String problem = cutFrom(block, Files.readAllLines(source, StandardCharsets.UTF_8));
                if (problem != null) {
                    problems.add(where + " (" + m.group(1) + "): " + problem);
                }
            }
        }
        assertTrue(inReadme >= 3, "the README's quickstarts are marked snippets (found " + inReadme + ")");
        assertTrue(problems.isEmpty(), snippets + " snippets checked; these drifted from their source:\n"
                + String.join("\n", problems));
    }

    @Test
    void theCheckNoticesALineThatIsNotInTheSourceOrOutOfOrder() {
        List<String> source = List.of("a();", "    b();", "c();");
        assertEquals(null, cutFrom(List.of("a();", "...", "c();"), source));
        assertEquals(null, cutFrom(List.of("b();"), source));
        assertTrue(cutFrom(List.of("a();", "d();"), source) != null, "d() is not in the source");
        assertTrue(cutFrom(List.of("c();", "a();"), source) != null, "out of order");
        assertEquals(null, cutFrom(List.of("b();   // another comment"), source), "comments do not count");
        assertTrue(cutFrom(List.of("b(1);   // b();"), source) != null, "code in a comment does not count");
    }

    /** Returns null if every line of {@code block} is a line of {@code source}, in order; else the first that is not. */
    static String cutFrom(List<String> block, List<String> source) {
        int at = 0;
        for (String line : block) {
            String want = code(line);
            if (want.isEmpty() || want.equals("...")) {
                continue;
            }
            int found = -1;
            for (int k = at; k < source.size(); k++) {
                if (code(source.get(k)).equals(want)) {
                    found = k;
                    break;
                }
            }
            if (found < 0) {
                return "not found (in this order): " + want;
            }
            at = found + 1;
        }
        return null;
    }

    /** The code of a line: without a trailing {@code //} comment (one after a blank), with single blanks. */
    static String code(String line) {
        String s = line.strip();
        int comment = s.startsWith("//") ? 0 : s.indexOf(" //");
        if (comment >= 0) {
            s = s.substring(0, comment);
        }
        return s.strip().replaceAll("\\s+", " ");
    }
}
