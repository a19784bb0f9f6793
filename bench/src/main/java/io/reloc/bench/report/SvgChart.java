package io.reloc.bench.report;

import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Line charts as inline SVG, for self-contained HTML reports (no scripts, styles or images from
 * elsewhere). Every line is a {@code <polyline class="series" data-series="NAME">}, so that tests
 * and scripts can find the data again. The x axis may be logarithmic (latencies); values outside
 * an axis are drawn at its edge.
 */
public final class SvgChart {
    public static final int WIDTH = 720;
    private static final int HEIGHT = 240;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 30;
    private static final int BOTTOM = 40;
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
        "#7f7f7f", "#bcbd22", "#17becf"};

    /**
     * A named line.
     *
     * @param x the points' x values, as many as {@code y}
     */
    public record Series(String name, String color, double[] x, double[] y) {
        public Series {
            requireNonNull(name, "name is null");
            requireNonNull(color, "color is null");
            if (x.length != y.length) {
                throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x and " + y.length + " y values");
            }
        }
    }

    /**
     * An axis.
     *
     * @param label its name and unit, e.g. "time (s)"
     * @param min the smallest value shown; above 0 on a logarithmic axis
     * @param max the largest value shown
     * @param log whether values are placed logarithmically
     */
    public record Axis(String label, double min, double max, boolean log) {
        public Axis {
            requireNonNull(label, "label is null");
            if (!(max > min) || (log && !(min > 0))) {
                throw new IllegalArgumentException("bad axis '" + label + "': " + min + " to " + max + (log ? " (log)" : ""));
            }
        }

        /** A linear axis from 0. */
        public static Axis linear(String label, double max) {
            return new Axis(label, 0, max > 0 ? max : 1, false);
        }

        /** Where {@code value} falls, from 0 (min) to 1 (max), clamped. */
        double position(double value) {
            double p = log ? (Math.log10(Math.max(value, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
                    : (value - min) / (max - min);
            return Math.clamp(Double.isNaN(p) ? 0 : p, 0, 1);
        }

        /** How many intervals between labelled ticks: one per decade on a logarithmic axis. */
        int ticks(int linear) {
            return log ? (int) Math.max(1, Math.round(Math.log10(max / min))) : linear;
        }

        double tick(int i, int of) {
            return log ? Math.pow(10, Math.log10(min) + (Math.log10(max) - Math.log10(min)) * i / of) : min + (max - min) * i / of;
        }
    }

    /** A dashed vertical line at {@code x} with a label, e.g. the switch-over. */
    public record Marker(double x, String name) {
        public Marker {
            requireNonNull(name, "name is null");
        }
    }

    private SvgChart() {}

    /** The i-th of a fixed palette of colours, repeating. */
    public static String color(int i) {
        return COLORS[Math.floorMod(i, COLORS.length)];
    }

    /** One chart as an {@code <svg>} element. */
    public static String chart(String title, Axis x, Axis y, List<Marker> markers, List<Series> series) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT, escape(title)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
                LEFT, escape(title)));
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
                LEFT, TOP, plotW, plotH));
        int yTicks = y.ticks(4);
        for (int i = 0; i <= yTicks; i++) {
            double py = TOP + plotH - plotH * (double) i / yTicks;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
                    LEFT, py, LEFT + plotW, py, LEFT - 5, py + 4, label(y.tick(i, yTicks))));
        }
        int xTicks = x.ticks(5);
        for (int i = 0; i <= xTicks; i++) {
            double px = LEFT + plotW * (double) i / xTicks;
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
                    px, TOP + plotH + 15, label(x.tick(i, xTicks))));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>"
                + "<text x=\"12\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>\n",
                LEFT + plotW / 2, HEIGHT - 5, escape(x.label()), TOP + plotH / 2, TOP + plotH / 2, escape(y.label())));
        for (Marker m : markers) {
            double px = LEFT + plotW * x.position(m.x());
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#666\">%s</text>\n",
                    px, TOP, px, TOP + plotH, px + 3, TOP + plotH - 4, escape(m.name())));
        }
        int legendX = LEFT + 8;
        for (Series s : series) {
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                double px = LEFT + plotW * x.position(s.x()[i]);
                double py = TOP + plotH - plotH * y.position(s.y()[i]);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
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

    /** The start of a self-contained HTML page up to and including its {@code <h1>}. */
    public static String pageStart(String title) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + escape(title) + "</title>\n<style>\n"
                + "body{font-family:sans-serif;margin:2em;max-width:" + (WIDTH + 40) + "px;color:#222}\n"
                + "pre{background:#f4f4f4;padding:1em;overflow-x:auto}\n"
                // Prose in a <pre> (a summary) wraps inside its box; tables in one keep their columns and scroll.
                + "pre.wrap{white-space:pre-wrap;overflow-wrap:anywhere}\nsvg{display:block;margin:1em 0}\n"
                + "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;"
                + "white-space:nowrap}\n"
                + "</style></head><body>\n<h1>" + escape(title) + "</h1>\n";
    }

    /** The end of a page begun with {@link #pageStart}. */
    public static String pageEnd() {
        return "</body></html>\n";
    }

    /** A round axis maximum at or above {@code value}: 1 to 10 in a few steps, times a power of ten. */
    public static double niceMax(double value) {
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

    /** The largest of {@code values}, or 0. */
    public static double max(double[] values) {
        double m = 0;
        for (double v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Mbit/s of {@code bytes} moved in {@code seconds}. */
    public static double mbit(long bytes, double seconds) {
        return bytes * 8 / seconds / 1e6;
    }

    private static String label(double value) {
        if (value == Math.rint(value)) {
            return String.format(Locale.ROOT, "%d", (long) value);
        }
        return Math.abs(value) < 1 ? String.format(Locale.ROOT, "%.2g", value) : String.format(Locale.ROOT, "%.1f", value);
    }

    /** Text safe in HTML and SVG content and attribute values. */
    public static String escape(String text) {
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
