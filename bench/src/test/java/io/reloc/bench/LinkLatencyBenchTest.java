package io.reloc.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The link-latency bench measures both paths and refuses options it cannot use. */
class LinkLatencyBenchTest {
    @Test
    void theEmulatedExchangeTakesAtLeastTheRoundTripAndTheReplysSerialisation() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LinkLatencyBench.run(new String[] {"10ms", "100mbit", "--rounds", "20", "--gap-ms", "2"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length, "a header, a rule and two rows: " + Arrays.toString(lines));
        double loopbackMin = minMillis(lines[2]);
        double emulatedMin = minMillis(lines[3]);
        System.out.printf("loopback min %.2f ms, emulated min %.2f ms (10 ms RTT + 0.33 ms)%n", loopbackMin, emulatedMin);
        // 4096 bytes at 100 Mbit/s take 0.33 ms: the link is never faster than configured.
        assertTrue(emulatedMin >= 10.3, "an exchange beat the link: " + lines[3]);
        assertTrue(loopbackMin < 10, "loopback took the link's time: " + lines[2]);
        assertTrue(lines[3].contains("10.33 ms"), "the row names the bound: " + lines[3]);
        assertTrue(lines[2].contains("| 18 |"), "the first tenth of 20 rounds is left out: " + lines[2]);
    }

    @Test
    void refusesOptionsItCannotUse() {
        assertMessage("--bogus", "10ms", "100mbit", "--bogus", "1");
        assertMessage("--rounds must be at least 10", "10ms", "100mbit", "--rounds", "5");
        assertMessage("has no value", "10ms", "100mbit", "--rounds");
        assertMessage("usage", "10ms");
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinkLatencyBench.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should say " + expected);
    }

    /** The min column (the fifth) of a table row, in milliseconds. */
    private static double minMillis(String row) {
        String[] cells = row.split("\\|");
        return Double.parseDouble(cells[5].trim().replace(" ms", ""));
    }
}
