package io.reloc.cli;

import io.reloc.bench.report.SvgChart;
import io.reloc.bench.report.SvgChart.Axis;
import io.reloc.bench.report.SvgChart.Marker;
import io.reloc.bench.report.SvgChart.Series;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Writes the demo's report: one self-contained HTML file (no scripts, styles or images from
 * elsewhere) with four inline SVG charts after the seed paper's Figures 4 to 7: traffic on link A
 * (VM host to source), link B (VM host to destination) and link C (destination from source, split
 * into demand and background), each in Mbit/s per sampling interval, and the fraction of blocks
 * present over time. The switch-over and the completion are marked on every chart.
 */
final class DemoReport {
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
        Axis time = Axis.linear("time (s)", xMax);
        List<Marker> markers = new ArrayList<>();
        if (run.switchMillis() >= 0) {
            markers.add(new Marker(run.switchMillis() / 1000.0, "switch-over"));
        }
        if (run.completeMillis() >= 0) {
            markers.add(new Marker(run.completeMillis() / 1000.0, "complete"));
        }
        StringBuilder html = new StringBuilder(64 * 1024);
        html.append(SvgChart.pageStart(run.title())).append("<pre class=\"wrap\">");
        run.summary().forEach(line -> html.append(SvgChart.escape(line)).append('\n'));
        html.append("</pre>\n");
        html.append(SvgChart.chart("Link A: VM host \u2192 source (NBD traffic)", time, Axis.linear("Mbit/s", niceMax(SvgChart.max(a))),
                markers, List.of(new Series("link A", "#1f77b4", t, a))));
        html.append(SvgChart.chart("Link B: VM host \u2192 destination (NBD traffic)", time, Axis.linear("Mbit/s", niceMax(SvgChart.max(b))),
                markers, List.of(new Series("link B", "#2ca02c", t, b))));
        html.append(SvgChart.chart("Link C: destination \u2190 source (relocation traffic)", time,
                Axis.linear("Mbit/s", niceMax(SvgChart.max(c))), markers,
                List.of(new Series("total", "#444444", t, c), new Series("background", "#ff7f0e", t, background),
                        new Series("demand (estimated)", "#d62728", t, demand))));
        html.append(SvgChart.chart("Blocks present at the destination", time, Axis.linear("%", 100), markers,
                List.of(new Series("present", "#9467bd", ft, fraction))));
        html.append("<p>Traffic is sampled every 250 ms and counts bytes in both directions. Demand traffic is estimated"
                + " as the blocks fetched on demand times the block size; background is the rest of link C.</p>\n");
        html.append(SvgChart.pageEnd());
        return html.toString();
    }

    static double mbit(long bytes, double seconds) {
        return SvgChart.mbit(bytes, seconds);
    }

    static double niceMax(double value) {
        return SvgChart.niceMax(value);
    }
}
