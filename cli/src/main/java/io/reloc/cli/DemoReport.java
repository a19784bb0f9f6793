package io.reloc.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Writes the demo's report: one self-contained HTML file (no scripts, styles or images from
 * elsewhere) with four inline SVG charts after the seed paper's Figures 4 to 7: traffic on link A
 * (VM host to source), link B (VM host to destination) and link C (destination from source, split
 * into demand and background), each in Mbit/s per sampling interval, and the fraction of blocks
 * present over time. The switch-over and the completion are marked on every chart.
 */
final class DemoReport {
    private static final int WIDTH = 720;
    private static final int HEIGHT = 240;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 30;
    private static final int BOTTOM = 40;

    /**
     * What the report shows.
     *
     * @param summary lines of the run's summary, shown above the charts
     * @param samples the run's samples in time order
     * @param switchMillis when the VM switched over to the destination, or -1
     * @param completeMillis when the relocation completed, or -1
     */
    record Run(String title, List<String> summary, List<DemoSample> samples, long switchMillis, long completeMillis) {
        Run {
            requireNonNull(title, "title is null");
            summary = List.copyOf(summary);
            samples = List.copyOf(samples);
        }
    }

    /** A named line of a chart. */
    record Series(String name, String color, double[] x, double[] y) {}

    private DemoReport() {}

    static void write(Path file, Run run) throws IOException {
        Files.writeString(file, html(run), StandardCharsets.UTF_8);
    }

    static String html(Run run) {
        List<DemoSample> s = run.samples();
        int n = Math.max(0, s.size() - 1);
        double[] t = new double[n];
        double[] a = new double[n];
        double[] b = new double[n];
        double[] c = new double[n];
        double[] demand = new double[n];
        double[] background = new double[n];
        for (int i = 0; i < n; i++) {
            DemoSample prev = s.get(i);
            DemoSample now = s.get(i + 1);
            double seconds = Math.max(1, now.millis() - prev.millis()) / 1000.0;
            t[i] = now.millis() / 1000.0;
            a[i] = mbit(now.linkA() - prev.linkA(), seconds);
            b[i] = mbit(now.linkB() - prev.linkB(), seconds);
            c[i] = mbit(now.linkC() - prev.linkC(), seconds);
            long demandDelta = Math.min(now.demandBytes() - prev.demandBytes(), now.linkC() - prev.linkC());
            demand[i] = mbit(demandDelta, seconds);
            background[i] = Math.max(0, c[i] - demand[i]);
        }
        double[] ft = new double[s.size()];
        double[] fraction = new double[s.size()];
        for (int i = 0; i < s.size(); i++) {
            ft[i] = s.get(i).millis() / 1000.0;
            fraction[i] = 100 * s.get(i).fractionPresent();
        }
        double xMax = Math.max(1, s.isEmpty() ? 1 : s.get(s.size() - 1).millis() / 1000.0);
        StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(escape(run.title())).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;max-width:")
                .append(WIDTH + 40).append("px;color:#222}\n")
                .append("pre{background:#f4f4f4;padding:1em}\nsvg{display:block;margin:1em 0}\n")
                .append("</style></head><body>\n<h1>").append(escape(run.title())).append("</h1>\n<pre>");
        run.summary().forEach(line -> html.append(escape(line)).append('\n'));
        html.append("</pre>\n");
        html.append(chart("Link A: VM host \u2192 source (NBD traffic)", "Mbit/s", xMax, niceMax(max(a)), run,
                List.of(new Series("link A", "#1f77b4", t, a))));
        html.append(chart("Link B: VM host \u2192 destination (NBD traffic)", "Mbit/s", xMax, niceMax(max(b)), run,
                List.of(new Series("link B", "#2ca02c", t, b))));
        html.append(chart("Link C: destination \u2190 source (relocation traffic)", "Mbit/s", xMax, niceMax(max(c)), run,
                List.of(new Series("total", "#444444", t, c), new Series("background", "#ff7f0e", t, background),
                        new Series("demand (estimated)", "#d62728", t, demand))));
        html.append(chart("Blocks present at the destination", "%", xMax, 100, run,
                List.of(new Series("present", "#9467bd", ft, fraction))));
        html.append("<p>Traffic is sampled every 250 ms and counts bytes in both directions. Demand traffic is estimated"
                + " as the blocks fetched on demand times the block size; background is the rest of link C.</p>\n");
        html.append("</body></html>\n");
        return html.toString();
    }

    private static String chart(String title, String unit, double xMax, double yMax, Run run, List<Series> series) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT, escape(title)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
                LEFT, escape(title)));
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
                LEFT, TOP, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double value = yMax * i / 4;
            double y = TOP + plotH - plotH * i / 4.0;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
                    LEFT, y, LEFT + plotW, y, LEFT - 5, y + 4, label(value)));
        }
        for (int i = 0; i <= 5; i++) {
            double x = LEFT + plotW * i / 5.0;
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s s</text>\n",
                    x, TOP + plotH + 15, label(xMax * i / 5)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">time</text>"
                + "<text x=\"12\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>\n",
                LEFT + plotW / 2, HEIGHT - 5, TOP + plotH / 2, TOP + plotH / 2, escape(unit)));
        marker(svg, run.switchMillis(), "switch-over", xMax, plotW, plotH);
        marker(svg, run.completeMillis(), "complete", xMax, plotW, plotH);
        int legendX = LEFT + 8;
        for (Series s : series) {
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                double x = LEFT + plotW * Math.min(1, s.x()[i] / xMax);
                double y = TOP + plotH - plotH * Math.min(1, Math.max(0, s.y()[i] / yMax));
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            svg.append(String.format(Locale.ROOT, "<polyline class=\"series\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" "
                    + "stroke-width=\"1.5\" points=\"%s\"/>\n", escape(s.name()), s.color(), points.toString().strip()));
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"3\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", legendX, TOP + 10, s.color(), legendX + 14, TOP + 14,
                    escape(s.name())));
            legendX += 20 + 7 * s.name().length();
        }
        return svg.append("</svg>\n").toString();
    }

    private static void marker(StringBuilder svg, long millis, String name, double xMax, int plotW, int plotH) {
        if (millis < 0) {
            return;
        }
        double x = LEFT + plotW * Math.min(1, millis / 1000.0 / xMax);
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
                + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#666\">%s</text>\n",
                x, TOP, x, TOP + plotH, x + 3, TOP + plotH - 4, name));
    }

    static double mbit(long bytes, double seconds) {
        return bytes * 8 / seconds / 1e6;
    }

    /** A round axis maximum at or above {@code value}: 1 to 10 in a few steps, times a power of ten. */
    static double niceMax(double value) {
        if (!(value > 0)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static double max(double[] values) {
        double m = 0;
        for (double v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    private static String label(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%d", (long) value) : String.format(Locale.ROOT, "%.1f", value);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char ch : text.toCharArray()) {
            switch (ch) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
