package dev.tofu.docs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every "PROTOCOL.md §X" in the repository's {@code *.java} and {@code *.md} files (and every bare
 * "§X", which in this repository always means PROTOCOL.md) names a section that
 * {@code docs/PROTOCOL.md} has: a heading numbered X, or, for "§X rule N" and "§X RN", a table row
 * numbered N or RN inside section X, and for "§X item N" a heading X.N.
 */
@Timeout(30)
class ProtocolReferencesTest {
    /** A section sign, a dotted number, and optionally " R20", " rule 9" / " rules 0", " item 25" / " items 6". */
    static final Pattern REFERENCE = Pattern.compile(
            "§ ?(\\d+(?:\\.\\d+)*)(?: (?:R(\\d+)\\b|rules? (\\d+)|items? (\\d+)))?");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(\\d+(?:\\.\\d+)*)\\.?\\s");
    private static final Pattern ROW = Pattern.compile("^\\|\\s*(R?\\d+)\\s*\\|");

    private static Path root;
    private static ProtocolDoc doc;

    @BeforeAll
    static void load() throws IOException {
        root = RepositoryRoot.find();
        Path protocol = root.resolve("docs/PROTOCOL.md");
        assertTrue(Files.isRegularFile(protocol), "docs/PROTOCOL.md is missing under " + root);
        doc = ProtocolDoc.parse(Files.readAllLines(protocol, StandardCharsets.UTF_8));
    }

    @Test
    void everyProtocolReferenceInTheRepositoryNamesASectionOfDocsProtocolMd() throws IOException {
        List<String> unresolved = new ArrayList<>();
        int references = 0;
        for (Path file : RepositoryRoot.sourceAndDocFiles(root)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = REFERENCE.matcher(lines.get(i));
                while (m.find()) {
                    references++;
                    String problem = doc.resolve(m);
                    if (problem != null) {
                        unresolved.add(root.relativize(file) + ":" + (i + 1) + ": \"" + m.group() + "\": " + problem);
                    }
                }
            }
        }
        assertTrue(references > 200, "found only " + references + " § references: is the scan looking at the repository?");
        assertTrue(unresolved.isEmpty(), unresolved.size() + " reference(s) to PROTOCOL.md sections that docs/PROTOCOL.md"
                + " does not have:\n" + String.join("\n", unresolved));
    }

    @Test
    void theResolverRejectsWhatTheDocumentDoesNotHave() {
        // built from pieces so this file's own text holds no reference the scan would check
        String s = "\u00a7";
        assertEquals(null, resolve(s + "5.5.4"), "a heading that exists");
        assertEquals(null, resolve(s + "7 R20"), "a recipe row that exists");
        assertEquals(null, resolve(s + "2.2 rule 13"), "a rule row that exists");
        assertEquals(null, resolve(s + "9 item 25"), "an item heading that exists");
        assertFalse(resolve(s + "5.7") == null, "no section 5.7");
        assertFalse(resolve(s + "7 R99") == null, "no recipe R99");
        assertFalse(resolve(s + "2.2 rule 14") == null, "no rule 14");
        assertFalse(resolve(s + "9 item 26") == null, "no item 26");
    }

    @Test
    void docsProtocolMdSaysItsNumbersAreTheOnesTheCodeCites() throws IOException {
        String text = Files.readString(root.resolve("docs/PROTOCOL.md"), StandardCharsets.UTF_8);
        assertTrue(text.substring(0, Math.min(text.length(), 1500)).contains("section numbers are the ones cited in the code"),
                "the top of docs/PROTOCOL.md states that its section numbers are those cited in the code");
    }

    private static String resolve(String reference) {
        Matcher m = REFERENCE.matcher(reference);
        assertTrue(m.find(), reference);
        return doc.resolve(m);
    }

    /** The headings of docs/PROTOCOL.md and the numbered table rows inside each. */
    record ProtocolDoc(Map<String, List<String>> rowsBySection) {
        static ProtocolDoc parse(List<String> lines) {
            Map<String, List<String>> rows = new HashMap<>();
            List<String> open = new ArrayList<>();   // section numbers whose body we are in, outermost first
            List<Integer> levels = new ArrayList<>();
            for (String line : lines) {
                Matcher h = HEADING.matcher(line);
                if (h.find()) {
                    int level = h.group(1).length();
                    while (!levels.isEmpty() && levels.get(levels.size() - 1) >= level) {
                        levels.remove(levels.size() - 1);
                        open.remove(open.size() - 1);
                    }
                    levels.add(level);
                    open.add(h.group(2));
                    rows.putIfAbsent(h.group(2), new ArrayList<>());
                    continue;
                }
                if (line.startsWith("#")) {            // an unnumbered heading ends nothing numbered above it
                    continue;
                }
                Matcher r = ROW.matcher(line);
                if (r.find()) {
                    for (String section : open) {
                        rows.get(section).add(r.group(1));
                    }
                }
            }
            return new ProtocolDoc(rows);
        }

        /** Returns null if the reference resolves, else what is missing. */
        String resolve(Matcher m) {
            String section = m.group(1);
            if (!rowsBySection.containsKey(section)) {
                return "no heading numbered " + section;
            }
            if (m.group(2) != null && !rowsBySection.get(section).contains("R" + m.group(2))) {
                return "no row R" + m.group(2) + " in section " + section;
            }
            if (m.group(3) != null && !rowsBySection.get(section).contains(m.group(3))) {
                return "no row " + m.group(3) + " in section " + section;
            }
            if (m.group(4) != null && !rowsBySection.containsKey(section + "." + m.group(4))) {
                return "no heading numbered " + section + "." + m.group(4);
            }
            return null;
        }
    }

    /** Finds the repository from the test's working directory (tofu-tests/) and lists what to scan. */
    static final class RepositoryRoot {
        private RepositoryRoot() {
        }

        static Path find() throws IOException {
            for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
                Path pom = dir.resolve("pom.xml");
                if (Files.isRegularFile(pom) && Files.readString(pom).contains("<module>tofu-tests</module>")) {
                    return dir;
                }
            }
            throw new IllegalStateException("no reactor pom.xml (with module tofu-tests) above " + Path.of("").toAbsolutePath());
        }

        /** Every *.java and *.md file, leaving out build output and hidden folders. */
        static List<Path> sourceAndDocFiles(Path root) {
            try (Stream<Path> files = Files.walk(root)) {
                return files.filter(p -> {
                            for (Path part : root.relativize(p)) {
                                String name = part.toString();
                                if (name.equals("target") || name.startsWith(".") || name.equals("node_modules")) {
                                    return false;
                                }
                            }
                            String name = p.getFileName().toString();
                            return (name.endsWith(".java") || name.endsWith(".md")) && Files.isRegularFile(p);
                        })
                        .sorted()
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
