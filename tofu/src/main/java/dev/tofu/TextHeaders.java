package dev.tofu;

import dev.tofu.internal.message.ByteBuf;
import dev.tofu.internal.wire.TextHeaderParser;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * The text headers of a {@link Message}: {@code name:value} lines kept in wire form (PROTOCOL.md
 * §1.5).
 *
 * <p>{@link #append} writes strictly (trimmed name, no CR, LF or {@code ':'} in the name, no CR or
 * LF in the value, neither empty); reading parses exactly as tofu does. Names starting with
 * {@code ~} are reserved for the library. Any size is accepted while building;
 * {@link ChannelGroup#post(Message)} rejects sections over 65535 bytes.
 *
 * <p>Ownership: these headers are bound to the {@link Message} reference they came from; once that
 * lease has ended (the message was posted, put or closed), every call throws
 * {@link IllegalStateException}. Not thread-safe, like the message it belongs to.
 */
public final class TextHeaders implements Iterable<TextHeader> {
    private final Message message;

    TextHeaders(Message message) {
        this.message = message;
    }

    /** The section of the message's live lease; throws once the lease has ended. */
    private ByteBuf section() {
        return message.live().headers();
    }

    /**
     * Appends {@code name:value} CR LF. Duplicates are allowed and kept in call order.
     *
     * @param name  the name; trimmed of space, TAB, CR and LF; must then be non-empty and hold no
     *              CR, LF or {@code ':'}
     * @param value the value, used as given; must be non-empty and hold no CR or LF
     * @return these headers, for chaining
     * @throws IllegalArgumentException for a bad name or value
     * @throws IllegalStateException    if the message's lease has ended
     */
    public TextHeaders append(String name, String value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        ByteBuf section = section();
        String trimmed = trimName(name);
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("BadName: header name is empty after trimming: '" + name + "'");
        }
        if (trimmed.indexOf('\r') >= 0 || trimmed.indexOf('\n') >= 0 || trimmed.indexOf(':') >= 0) {
            throw new IllegalArgumentException("BadName: header name holds CR, LF or ':': '" + name + "'");
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException("BadValue: header value is empty for '" + trimmed + "'");
        }
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("BadValue: header value holds CR or LF for '" + trimmed + "'");
        }
        byte[] n = trimmed.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        section.append(n, 0, n.length);
        section.append(':');
        section.append(v, 0, v.length);
        section.append('\r');
        section.append('\n');
        return this;
    }

    /**
     * Returns the value of the first header named exactly {@code name} (case-sensitive), or
     * {@code null} if there is none.
     *
     * @param name the header name
     * @return the first matching value, or {@code null}
     */
    public String get(String name) {
        Objects.requireNonNull(name, "name");
        ByteBuf section = section();
        return TextHeaderParser.first(section.array(), section.length(), name);
    }

    /**
     * Returns every header in wire order, as an unmodifiable list.
     *
     * @return the headers
     */
    public List<TextHeader> all() {
        List<TextHeader> out = new ArrayList<>();
        ByteBuf section = section();
        TextHeaderParser.parse(section.array(), section.length(), (n, v) -> out.add(new TextHeader(n, v)));
        return Collections.unmodifiableList(out);
    }

    /** Iterates the headers in wire order (a snapshot taken when the iterator is created). */
    @Override
    public Iterator<TextHeader> iterator() {
        return all().iterator();
    }

    /**
     * Returns whether the section is empty.
     *
     * @return {@code true} if there are no headers
     */
    public boolean isEmpty() {
        return section().length() == 0;
    }

    /**
     * Removes every header.
     *
     * @throws IllegalStateException if the message's lease has ended
     */
    public void clear() {
        section().clear();
    }

    /**
     * Returns the size of the section in wire form, in bytes.
     *
     * @return the section's length in bytes
     */
    public int byteLength() {
        return section().length();
    }

    @Override
    public String toString() {
        return message.isLive() ? all().toString() : "TextHeaders[released]";
    }

    private static String trimName(String name) {
        int start = 0;
        int end = name.length();
        while (start < end && isTrimmed(name.charAt(start))) {
            start++;
        }
        while (end > start && isTrimmed(name.charAt(end - 1))) {
            end--;
        }
        return name.substring(start, end);
    }

    private static boolean isTrimmed(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }
}
