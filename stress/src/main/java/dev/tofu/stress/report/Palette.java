package dev.tofu.stress.report;

import java.awt.Color;
import java.util.Map;

/**
 * Chart colours by system label, so tofu's systems stand apart from the peers: tofu's in warm
 * colours (reds, oranges, browns), the peers in cool ones (blues, greens, purples, greys). UDS is a
 * darker shade of the system's colour, a server in the second JVM a lighter one (and a dashed line).
 */
public final class Palette {
    private static final Map<String, Color> TOFU = Map.of(
            "tofu", new Color(0xD6, 0x27, 0x28),
            "tofu-nospin", new Color(0xFF, 0x7F, 0x0E),
            "tofu-direct", new Color(0xE3, 0x77, 0xC2),
            "tofu-pt", new Color(0x8C, 0x56, 0x4B),
            "tofu-lat", new Color(0xC4, 0x9C, 0x00),
            "tofu-call", new Color(0xF0, 0x3B, 0x20),
            "tofu-cluster", new Color(0xA6, 0x3D, 0x00),
            "tofu-cluster2", new Color(0xFD, 0xAE, 0x6B));
    private static final Map<String, Color> PEERS = Map.of(
            "raw-vt", new Color(0x1F, 0x77, 0xB4),
            "raw-pt", new Color(0x17, 0xBE, 0xCF),
            "jeromq", new Color(0x2C, 0xA0, 0x2C),
            "netty", new Color(0x94, 0x67, 0xBD),
            "grpc", new Color(0x55, 0x55, 0x55),
            "grpc-vt", new Color(0x39, 0x3B, 0x79));
    private static final Color OTHER_TOFU = new Color(0xB2, 0x18, 0x2B);
    private static final Color OTHER_PEER = new Color(0x66, 0x88, 0x99);

    private Palette() {
    }

    /** The system's name ("tofu-call" of "tofu-call/uds@2jvm"). */
    static String name(String label) {
        int slash = label.indexOf('/');
        return slash < 0 ? label : label.substring(0, slash);
    }

    /** Whether a label is one of tofu's systems. */
    public static boolean isTofu(String label) {
        return name(label).startsWith("tofu");
    }

    /** Whether the label's server ran in the second JVM. */
    static boolean forked(String label) {
        return label.endsWith(dev.tofu.stress.sys.SystemUnderTest.FORKED_SUFFIX);
    }

    /** The colour of a system label. */
    public static Color of(String label) {
        String name = name(label);
        Color base = TOFU.getOrDefault(name, PEERS.get(name));
        if (base == null) {
            base = isTofu(label) ? OTHER_TOFU : OTHER_PEER;
        }
        if (label.contains("/uds")) {
            base = mix(base, Color.BLACK, 0.35);
        }
        if (forked(label)) {
            base = mix(base, Color.WHITE, 0.45);
        }
        return base;
    }

    private static Color mix(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() * (1 - t) + b.getRed() * t),
                (int) Math.round(a.getGreen() * (1 - t) + b.getGreen() * t),
                (int) Math.round(a.getBlue() * (1 - t) + b.getBlue() * t));
    }
}
