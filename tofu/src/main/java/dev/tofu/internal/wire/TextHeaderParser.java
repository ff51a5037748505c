package dev.tofu.internal.wire;

import java.nio.charset.StandardCharsets;

/**
 * Parses the text-header section (PROTOCOL.md §1.5), byte-exact with tofu's iterator.
 *
 * <p>Parsing never throws on any input: lines end at CR LF (a missing final CR LF is tolerated),
 * empty lines are skipped, each line splits at its first {@code ':'}, the name is kept untrimmed, the
 * value is trimmed of space and TAB, and an empty name ends the iteration. Stateless; any thread.
 */
public final class TextHeaderParser {
    /** Receives each parsed header; returns {@code false} to stop early. */
    @FunctionalInterface
    public interface Visitor {
        /**
         * Called once per header, in wire order.
         *
         * @param name  the name, untrimmed, never empty
         * @param value the value, trimmed of space and TAB
         * @return whether to go on to the next header
         */
        boolean visit(String name, String value);
    }

    private TextHeaderParser() {
    }

    /**
     * Visits every header of {@code section[0, length)} in wire order.
     *
     * @param section the raw section
     * @param length  how many bytes of it are content
     * @param visitor what to call per header
     */
    public static void parse(byte[] section, int length, Visitor visitor) {
        int i = 0;
        while (i < length) {
            int crlf = indexOfCrLf(section, i, length);
            int lineStart = i;
            int lineEnd;
            if (crlf < 0) {
                lineEnd = length;
                i = length;
            } else if (crlf == i) {
                i += 2;
                continue;
            } else {
                lineEnd = crlf;
                i = crlf + 2;
            }
            int colon = indexOf(section, (byte) ':', lineStart, lineEnd);
            int nameEnd = colon < 0 ? lineEnd : colon;
            if (nameEnd == lineStart) {
                return; // an empty name ends the iteration
            }
            int valueStart = colon < 0 ? lineEnd : colon + 1;
            int valueEnd = lineEnd;
            while (valueStart < valueEnd && isSpaceOrTab(section[valueStart])) {
                valueStart++;
            }
            while (valueEnd > valueStart && isSpaceOrTab(section[valueEnd - 1])) {
                valueEnd--;
            }
            String name = new String(section, lineStart, nameEnd - lineStart, StandardCharsets.UTF_8);
            String value = new String(section, valueStart, valueEnd - valueStart, StandardCharsets.UTF_8);
            if (!visitor.visit(name, value)) {
                return;
            }
        }
    }

    /**
     * Returns the value of the first header named exactly {@code name}, or {@code null}.
     *
     * @param section the raw section
     * @param length  how many bytes of it are content
     * @param name    the name to look for (case-sensitive)
     */
    public static String first(byte[] section, int length, String name) {
        String[] found = new String[1];
        parse(section, length, (n, v) -> {
            if (n.equals(name)) {
                found[0] = v;
                return false;
            }
            return true;
        });
        return found[0];
    }

    private static boolean isSpaceOrTab(byte b) {
        return b == ' ' || b == '\t';
    }

    private static int indexOf(byte[] s, byte b, int from, int to) {
        for (int j = from; j < to; j++) {
            if (s[j] == b) {
                return j;
            }
        }
        return -1;
    }

    private static int indexOfCrLf(byte[] s, int from, int to) {
        for (int j = from; j + 1 < to; j++) {
            if (s[j] == '\r' && s[j + 1] == '\n') {
                return j;
            }
        }
        return -1;
    }
}
