package io.reloc.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The demo's report as a reader sees it: a short {@code ./reloc demo} writes it, headless Chromium
 * opens it, and the four charts (links A, B, C, fraction present) must be laid out and drawn with
 * data from the run. Two looks: the page's DOM after a probe script measured every chart in the
 * browser's layout, and a screenshot of the report itself in which each chart's line colours appear.
 */
@Tag("interop")
class ReportInBrowserIT {
    private static final Pattern PROBE = Pattern.compile("<pre id=\"probe\">(.*?)</pre>", Pattern.DOTALL);
    private static final Pattern CHART = Pattern.compile(
            "chart \"([^\"]*)\" (\\d+)x(\\d+)((?: series \"[^\"]*\" points=\\d+ length=[0-9.]+ height=[0-9.]+)*)");
    private static final Pattern SERIES = Pattern.compile("series \"([^\"]*)\" points=(\\d+) length=([0-9.]+) height=([0-9.]+)");

    /** Measures every chart in the browser's layout and writes the result into the page. */
    private static final String PROBE_SCRIPT = """
            <script>
            const lines = [];
            for (const svg of document.querySelectorAll('svg')) {
              const box = svg.getBoundingClientRect();
              let line = 'chart "' + svg.getAttribute('aria-label') + '" ' + Math.round(box.width) + 'x' + Math.round(box.height);
              for (const p of svg.querySelectorAll('polyline.series')) {
                line += ' series "' + p.dataset.series + '" points=' + p.points.numberOfItems
                  + ' length=' + p.getTotalLength().toFixed(1) + ' height=' + p.getBBox().height.toFixed(1);
              }
              lines.push(line);
            }
            for (const text of document.querySelectorAll('pre')) {
              lines.push('text ' + text.scrollWidth + ' in ' + text.clientWidth);
            }
            const pre = document.createElement('pre');
            pre.id = 'probe';
            pre.textContent = lines.join('\\n');
            document.body.appendChild(pre);
            </script>
            """;

    @TempDir
    Path dir;

    record Series(String name, int points, double length, double height) {}

    record Chart(String title, int width, int height, List<Series> series) {}

    @Test
    void theFourChartsAreDrawnWithTheRunsData() throws Exception {
        String chromium = chromium();
        Path demoDir = dir.resolve("demo");
        RelocProcess demo = RelocProcess.run("demo", "--size", "32M", "--rate", "1gbit", "--switch-after", "2",
                "--dir", demoDir.toString());
        assertEquals(0, demo.exitValue(), demo.out() + "\n" + demo.err());
        Path report = demoDir.resolve(DemoRelocation.REPORT);

        // 1. The DOM after the probe ran in the browser: four charts, laid out, each with lines of data.
        String html = Files.readString(report, StandardCharsets.UTF_8);
        Path probe = demoDir.resolve("probe.html");
        Files.writeString(probe, html.replace("</body>", PROBE_SCRIPT + "</body>"), StandardCharsets.UTF_8);
        String dom = browser(chromium, "--dump-dom", probe);
        Matcher m = PROBE.matcher(dom);
        assertTrue(m.find(), "the probe ran in the browser: " + dom.substring(0, Math.min(dom.length(), 2000)));
        List<Chart> charts = charts(m.group(1));
        // The summary fits its box at 800 px: it wraps rather than running off to the right.
        List<String> texts = m.group(1).strip().lines().filter(l -> l.startsWith("text ")).toList();
        assertEquals(1, texts.size(), "one summary: " + texts);
        String[] widths = texts.getFirst().split(" ");
        assertTrue(Integer.parseInt(widths[1]) <= Integer.parseInt(widths[3]), "the summary fits its box: " + texts);
        System.out.println("charts in the browser: " + charts);
        assertEquals(4, charts.size(), "four charts: " + charts);
        assertTrue(charts.get(0).title().startsWith("Link A"), charts.toString());
        assertTrue(charts.get(1).title().startsWith("Link B"), charts.toString());
        assertTrue(charts.get(2).title().startsWith("Link C"), charts.toString());
        assertTrue(charts.get(3).title().startsWith("Blocks present"), charts.toString());
        for (Chart chart : charts) {
            assertTrue(chart.width() > 300 && chart.height() > 100, "laid out: " + chart);
            assertTrue(!chart.series().isEmpty(), "has lines: " + chart);
            for (Series s : chart.series()) {
                assertTrue(s.points() >= 4 && s.length() > 0, "drawn from several samples: " + chart);
            }
            // The run moved data over every link and the fraction rose: each chart's main line is not flat.
            assertTrue(chart.series().getFirst().height() > 10, "the data rises above the axis: " + chart);
        }
        assertEquals(3, charts.get(2).series().size(), "link C: total, background, demand: " + charts.get(2));

        // 2. The report itself as a picture: each chart's line colour is on the screen.
        Path png = dir.resolve("report.png");
        browser(chromium, "--screenshot=" + png, report);
        BufferedImage image = ImageIO.read(png.toFile());
        for (int rgb : new int[] {0x1f77b4, 0x2ca02c, 0x444444, 0xff7f0e, 0x9467bd}) {
            int pixels = pixelsNear(image, rgb);
            assertTrue(pixels >= 20, String.format("colour #%06x drawn (%d pixels)", rgb, pixels));
        }
    }

    private static List<Chart> charts(String probe) {
        List<Chart> charts = new ArrayList<>();
        for (String line : probe.strip().split("\n")) {
            if (line.startsWith("text ")) {
                continue;
            }
            Matcher c = CHART.matcher(line.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
            assertTrue(c.matches(), "probe line: " + line);
            List<Series> series = new ArrayList<>();
            Matcher s = SERIES.matcher(c.group(4));
            while (s.find()) {
                series.add(new Series(s.group(1), Integer.parseInt(s.group(2)), Double.parseDouble(s.group(3)),
                        Double.parseDouble(s.group(4))));
            }
            charts.add(new Chart(c.group(1), Integer.parseInt(c.group(2)), Integer.parseInt(c.group(3)), series));
        }
        return charts;
    }

    private static int pixelsNear(BufferedImage image, int rgb) {
        int count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int dr = ((p >> 16) & 0xff) - ((rgb >> 16) & 0xff);
                int dg = ((p >> 8) & 0xff) - ((rgb >> 8) & 0xff);
                int db = (p & 0xff) - (rgb & 0xff);
                if (Math.abs(dr) <= 24 && Math.abs(dg) <= 24 && Math.abs(db) <= 24) {
                    count++;
                }
            }
        }
        return count;
    }

    private static String chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return abort("headless Chromium is not installed (apt-get install chromium); the report is not checked in a browser");
    }

    /** Runs headless Chromium on a local file (at most two minutes); returns what it printed on stdout. */
    private String browser(String chromium, String mode, Path page) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "profile");
        Path out = Files.createTempFile(dir, "chromium", ".out");
        Path err = Files.createTempFile(dir, "chromium", ".err");
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--window-size=800,2400", "--virtual-time-budget=5000", mode,
                page.toUri().toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("chromium did not finish in two minutes: " + Files.readString(err));
        }
        assertEquals(0, p.exitValue(), "chromium " + mode + ": " + Files.readString(err));
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
