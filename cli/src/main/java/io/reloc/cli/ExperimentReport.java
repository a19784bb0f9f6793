package io.reloc.cli;

import io.reloc.bench.report.SvgChart;
import io.reloc.bench.report.SvgChart.Axis;
import io.reloc.bench.report.SvgChart.Series;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The comparison of an experiment's runs: a table for the terminal, and a self-contained HTML
 * report with the same table and three SVG charts (read latency distribution per strategy, blocks
 * present over time, demand fetches over time; times from the switch-over).
 */
final class ExperimentReport {
    static final List<String> COLUMNS = List.of("strategy", "stalls", "vs first", "stall time", "reads", "local", "p50 ms",
            "p99 ms", "complete", "on the wire", "verified");

    /**
     * What the report shows.
     *
     * @param setup lines describing the experiment (command, seed, workload, link)
     */
    record Experiment(String title, List<String> setup, List<ExperimentResult> results) {
        Experiment {
            requireNonNull(title, "title is null");
            setup = List.copyOf(setup);
            results = List.copyOf(results);
        }
    }

    private ExperimentReport() {}

    /** The table's rows, the header first, every cell as text. */
    static List<List<String>> rows(List<ExperimentResult> results) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(COLUMNS);
        long baseline = results.isEmpty() ? 0 : results.get(0).reads().stalls();
        for (ExperimentResult r : results) {
            long stalls = r.reads().stalls();
            rows.add(List.of(r.strategy(), Long.toString(stalls),
                    baseline == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * stalls / baseline),
                    String.format(Locale.ROOT, "%.2f s", r.reads().stallSeconds()),
                    Integer.toString(r.reads().count()),
                    String.format(Locale.ROOT, "%.1f%%", 100 * r.reads().localFraction()),
                    millis(r.reads().percentileMillis(50)), millis(r.reads().percentileMillis(99)),
                    r.completed() ? String.format(Locale.ROOT, "%.1f s", r.completeSeconds()) : "not in time",
                    ByteSize.format(r.wireBytes()), r.verified() ? "yes" : "NO"));
        }
        return rows;
    }

    /** The table as aligned text columns. */
    static String table(List<ExperimentResult> results) {
        List<List<String>> rows = rows(results);
        int[] widths = new int[COLUMNS.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                String pad = " ".repeat(widths[i] - cell.length());
                text.append(i == 0 ? cell + pad : pad + cell).append(i == row.size() - 1 ? "" : "  ");
            }
            text.append('\n');
        }
        return text.toString();
    }

    static void write(Path file, Experiment experiment) throws IOException {
        Files.writeString(file, html(experiment), StandardCharsets.UTF_8);
    }

    static String html(Experiment e) {
        StringBuilder html = new StringBuilder(64 * 1024);
        html.append(SvgChart.pageStart(e.title())).append("<pre>");
        e.setup().forEach(line -> html.append(SvgChart.escape(line)).append('\n'));
        html.append("</pre>\n<table>\n");
        List<List<String>> rows = rows(e.results());
        for (int i = 0; i < rows.size(); i++) {
            String cell = i == 0 ? "th" : "td";
            html.append("<tr>");
            rows.get(i).forEach(c -> html.append('<').append(cell).append('>').append(SvgChart.escape(c)).append("</").append(cell).append('>'));
            html.append("</tr>\n");
        }
        html.append("</table>\n");

        List<Series> cdf = new ArrayList<>();
        List<Series> present = new ArrayList<>();
        List<Series> demand = new ArrayList<>();
        double maxLatency = 1;
        double minLatency = 1;
        double maxTime = 1;
        double maxDemand = 1;
        for (int i = 0; i < e.results().size(); i++) {
            ExperimentResult r = e.results().get(i);
            String color = SvgChart.color(i);
            double[][] d = r.reads().cdf(400);
            double[] percent = new double[d[1].length];
            for (int k = 0; k < percent.length; k++) {
                percent[k] = 100 * d[1][k];
                maxLatency = Math.max(maxLatency, d[0][k]);
                minLatency = Math.min(minLatency, d[0][k]);
            }
            cdf.add(new Series(r.strategy(), color, d[0], percent));
            int n = r.samples().size();
            double[] t = new double[n];
            double[] fraction = new double[n];
            double[] fetched = new double[n];
            for (int k = 0; k < n; k++) {
                DemoSample s = r.samples().get(k);
                t[k] = s.millis() / 1000.0;
                fraction[k] = 100 * s.fractionPresent();
                fetched[k] = s.stalls();
                maxTime = Math.max(maxTime, t[k]);
                maxDemand = Math.max(maxDemand, fetched[k]);
            }
            present.add(new Series(r.strategy(), color, t, fraction));
            demand.add(new Series(r.strategy(), color, t, fetched));
        }
        double low = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, minLatency))));
        double high = Math.pow(10, Math.ceil(Math.log10(Math.max(low * 10, maxLatency))));
        html.append(SvgChart.chart("Read latency after switch-over (distribution)", new Axis("latency (ms, log scale)", low, high, true),
                Axis.linear("% of reads at or below", 100), List.of(), cdf));
        Axis time = Axis.linear("time since switch-over (s)", SvgChart.niceMax(maxTime));
        html.append(SvgChart.chart("Blocks present at the destination", time, Axis.linear("%", 100), List.of(), present));
        html.append(SvgChart.chart("Blocks fetched on demand (cumulative)", time, Axis.linear("blocks", SvgChart.niceMax(maxDemand)),
                List.of(), demand));
        html.append("<p>A stall is a read after switch-over that had to wait for a fetch from the source; \"vs first\" compares"
                + " each strategy's stalls with the first one's. Blocks fetched on demand include those fetched for partial"
                + " writes. Counters are sampled every 250 ms.</p>\n");
        html.append(SvgChart.pageEnd());
        return html.toString();
    }

    private static String millis(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.2f", value);
    }
}
