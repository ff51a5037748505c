package dev.tofu;

/**
 * One text header: a name and a value.
 *
 * @param name  the name, as it stands on the wire (case-sensitive)
 * @param value the value
 */
public record TextHeader(String name, String value) {
}
