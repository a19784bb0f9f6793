package io.reloc.bench.wan;

import java.time.Duration;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The properties of an emulated wide-area link, the same in both directions.
 *
 * @param rtt round-trip time; each direction delays data by half of it
 * @param bitsPerSecond capacity of each direction; 0 for unlimited
 * @param jitter each chunk's delay varies uniformly by up to this much (order is kept)
 */
public record LinkSettings(Duration rtt, long bitsPerSecond, Duration jitter) {
    public LinkSettings {
        requireNonNull(rtt, "rtt is null");
        requireNonNull(jitter, "jitter is null");
        if (rtt.isNegative() || jitter.isNegative() || bitsPerSecond < 0) {
            throw new IllegalArgumentException("link settings must not be negative");
        }
    }

    public long oneWayDelayNanos() {
        return rtt.toNanos() / 2;
    }

    /** Parses a rate such as {@code 100mbit}, {@code 1gbit}, {@code 12.5MB} (bytes), {@code 0}. */
    public static long parseRate(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        String[][] units = {{"gbit", "1e9"}, {"mbit", "1e6"}, {"kbit", "1e3"}, {"bit", "1"},
                {"gb", "8e9"}, {"mb", "8e6"}, {"kb", "8e3"}, {"b", "8"}};
        for (String[] unit : units) {
            if (t.endsWith(unit[0])) {
                return parse(text, t.substring(0, t.length() - unit[0].length()), Double.parseDouble(unit[1]));
            }
        }
        return parse(text, t, 1);
    }

    /** Parses a duration such as {@code 40ms}, {@code 2s}, {@code 500us}, {@code 0}. */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        String[][] units = {{"ms", "1e6"}, {"us", "1e3"}, {"ns", "1"}, {"s", "1e9"}};
        for (String[] unit : units) {
            if (t.endsWith(unit[0])) {
                return Duration.ofNanos(parse(text, t.substring(0, t.length() - unit[0].length()), Double.parseDouble(unit[1])));
            }
        }
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        throw new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 40ms, 2s, 500us");
    }

    private static long parse(String original, String number, double scale) {
        try {
            double value = Double.parseDouble(number.trim()) * scale;
            if (value < 0 || Double.isNaN(value)) {
                throw new NumberFormatException();
            }
            return Math.round(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + original + "' is not a valid amount; write e.g. 100mbit, 40ms");
        }
    }
}
