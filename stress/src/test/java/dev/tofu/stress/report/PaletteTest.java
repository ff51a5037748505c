package dev.tofu.stress.report;

import org.junit.jupiter.api.Test;

import java.awt.Color;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tofu's systems stand apart from the peers in charts. */
class PaletteTest {
    @Test
    void tofuSystemsAreWarmAndPeersAreNot() {
        for (String t : new String[]{"tofu/tcp", "tofu-call/uds", "tofu-nospin/tcp@2jvm", "tofu-lat/uds"}) {
            assertTrue(Palette.isTofu(t), t);
            Color c = Palette.of(t);
            assertTrue(c.getRed() > c.getBlue(), t + " " + c);
        }
        for (String p : new String[]{"raw-vt/tcp", "raw-pt/uds", "netty/tcp", "grpc-vt/tcp@2jvm", "jeromq/tcp"}) {
            assertFalse(Palette.isTofu(p), p);
            Color c = Palette.of(p);
            assertTrue(c.getBlue() >= c.getRed(), p + " " + c);
        }
    }

    @Test
    void transportAndPlacementGiveOtherShadesOfTheSameColour() {
        assertNotEquals(Palette.of("tofu/tcp"), Palette.of("tofu/uds"));
        assertNotEquals(Palette.of("tofu/tcp"), Palette.of("tofu/tcp@2jvm"));
        assertEquals(Palette.of("netty/tcp"), Palette.of("netty/tcp"));
    }

    @Test
    void chartFileNamesAreSlugs() {
        assertEquals("pipeline-16ch-x64-64B", Charts.slug("pipeline 16ch x64 64B"));
        assertEquals("rate-16ch-64B", Charts.slug("rate 16ch 64B"));
    }
}
