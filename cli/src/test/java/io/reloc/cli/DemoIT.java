package io.reloc.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end: the real {@code ./reloc demo} relocates a small disk, verifies it and writes its report. */
@Tag("interop")
class DemoIT {
    private static final Pattern POINTS = Pattern.compile("<polyline class=\"series\" data-series=\"([^\"]*)\"[^>]*points=\"([^\"]*)\"");

    @TempDir
    Path dir;

    @Test
    void relocatesVerifiesAndReports() throws Exception {
        Path demoDir = dir.resolve("demo");
        RelocProcess p = RelocProcess.run("demo", "--size", "32M", "--rate", "1gbit", "--switch-after", "2", "--dir", demoDir.toString());
        String output = p.out() + "\n" + p.err();
        assertEquals(0, p.exitValue(), output);
        assertTrue(p.out().contains("verified: all 32 MiB of the destination match"), output);
        assertTrue(p.out().contains("% present | link C"), "a progress line: " + output);
        assertTrue(p.out().contains("read latency after switch-over"), output);

        String html = Files.readString(demoDir.resolve(DemoRelocation.REPORT), StandardCharsets.UTF_8);
        String[] charts = html.split("<svg", -1);
        assertEquals(5, charts.length, "four charts");
        for (int i = 1; i < charts.length; i++) {
            Matcher m = POINTS.matcher(charts[i]);
            assertTrue(m.find(), "chart " + i + " has a series");
            assertTrue(m.group(2).trim().split("\\s+").length >= 2, "chart " + i + " (" + m.group(1) + ") has data");
        }
        // Link C carried the relocation, and the last sample shows every block present.
        assertTrue(html.contains("data-series=\"present\""), html);
        Matcher present = Pattern.compile("data-series=\"present\"[^>]*points=\"[^\"]*?([0-9.]+),([0-9.]+)\"").matcher(html);
        assertTrue(present.find());
        assertEquals(30.0, Double.parseDouble(present.group(2)), 0.01, "the fraction ends at 100 % (top of the chart)");
    }

    @Test
    void failsWhenTheRelocationDoesNotCompleteInTime() throws Exception {
        RelocProcess p = RelocProcess.run("demo", "--size", "8M", "--rate", "10mbit", "--switch-after", "0", "--timeout", "1",
                "--dir", dir.resolve("slow").toString());
        assertEquals(1, p.exitValue(), p.out() + "\n" + p.err());
        assertTrue(p.out().contains("NOT complete: the --timeout of 1 s ran out"), p.out());
        assertTrue(p.out().contains("read latency before switch-over: no reads"), p.out());
    }
}
