package io.reloc.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoReportTest {
    private static final Pattern SERIES = Pattern.compile("<polyline class=\"series\" data-series=\"([^\"]*)\"[^>]*points=\"([^\"]*)\"");

    @TempDir
    Path dir;

    /** Ten seconds: link A busy until the switch-over at 4 s, then link B and C, C at 100 Mbit/s. */
    private static DemoReport.Run run() {
        List<DemoSample> samples = new ArrayList<>();
        long a = 0;
        long b = 0;
        long c = 0;
        long demand = 0;
        for (int i = 0; i <= 40; i++) {
            long millis = i * 250L;
            if (millis <= 4000) {
                a += 1_000_000;
            } else {
                b += 500_000;
                c += 3_125_000;
                demand += 65_536;
            }
            samples.add(new DemoSample(millis, a, b, c, demand, millis <= 4000 ? 0 : (millis - 4000) / 6000.0, demand / 65_536));
        }
        return new DemoReport.Run("demo <test> & report", List.of("verified: all 1 GiB", "stalls \"7\""), samples, 4000, 10_000);
    }

    @Test
    void fourChartsWithTheirSeriesAndData() throws Exception {
        Path file = dir.resolve("report.html");
        DemoReport.write(file, run());
        String html = Files.readString(file, StandardCharsets.UTF_8);

        assertEquals(4, count(html, "<svg"), html);
        assertEquals(4, count(html, "</svg>"));
        List<String> names = new ArrayList<>();
        Matcher m = SERIES.matcher(html);
        while (m.find()) {
            names.add(m.group(1));
            String[] points = m.group(2).trim().split("\\s+");
            assertTrue(points.length >= 40, m.group(1) + " has " + points.length + " points");
        }
        assertEquals(List.of("link A", "link B", "total", "background", "demand (estimated)", "present"), names);
        assertTrue(html.contains(">switch-over</text>") && html.contains(">complete</text>"), "markers");
    }

    @Test
    void trafficIsMbitPerSecondOfEachInterval() {
        String html = DemoReport.html(run());
        // 3,125,000 bytes per 250 ms on link C = 100 Mbit/s; the axis goes to 100, so the line touches the top.
        Matcher m = SERIES.matcher(html);
        String total = null;
        while (m.find()) {
            if (m.group(1).equals("total")) {
                total = m.group(2);
            }
        }
        assertTrue(total != null && total.trim().endsWith(",30.0"), total);
        assertEquals(100, DemoReport.mbit(3_125_000, 0.25), 1e-9);
        assertEquals(150, DemoReport.niceMax(101), 1e-9);
        assertEquals(1, DemoReport.niceMax(0), 1e-9);
    }

    @Test
    void selfContainedAndEscaped() {
        String html = DemoReport.html(run());
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        for (String external : List.of("<script", "<link", "src=", "href=", "url(", "@import")) {
            assertFalse(html.contains(external), "refers to something outside the file: " + external);
        }
        assertTrue(html.contains("<title>demo &lt;test&gt; &amp; report</title>"), html);
        assertTrue(html.contains("stalls &quot;7&quot;"), html);
    }

    @Test
    void noSamplesStillGivesFourEmptyCharts() {
        String html = DemoReport.html(new DemoReport.Run("empty", List.of(), List.of(), -1, -1));
        assertEquals(4, count(html, "<svg"));
        assertFalse(html.contains("switch-over"));
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
