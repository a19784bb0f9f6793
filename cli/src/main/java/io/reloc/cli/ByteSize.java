package io.reloc.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints sizes like {@code 256M}, {@code 1GiB}, {@code 4096} (binary units). */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})\\s*([KMGT]?)(I?B)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern BITS = Pattern.compile("([0-9]{1,12}(?:\\.[0-9]{1,6})?)\\s*([KMG])BIT(?:/S)?", Pattern.CASE_INSENSITIVE);

    private ByteSize() {}

    /** @throws UsageException on a malformed or overflowing size */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new UsageException("bad size '" + text + "': expected a number with an optional unit K, M, G or T (binary), e.g. 256M");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (Long.numberOfLeadingZeros(n) <= shift && n != 0) {
                throw new UsageException("size '" + text + "' is too large");
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new UsageException("size '" + text + "' is too large");
        }
    }

    /**
     * A rate in bytes per second: a size per second ({@link #parse}, e.g. {@code 50M}), or bits
     * per second in decimal units as links are rated ({@code 95mbit}, {@code 1gbit}, {@code 500kbit},
     * also with {@code /s}, as {@link #formatBitRate} prints them).
     *
     * @throws UsageException naming both forms
     */
    public static long parseRate(String text) {
        Matcher m = BITS.matcher(text.trim());
        if (m.matches()) {
            double unit = switch (m.group(2).toUpperCase(Locale.ROOT)) {
                case "K" -> 1e3;
                case "M" -> 1e6;
                default -> 1e9;
            };
            return (long) (Double.parseDouble(m.group(1)) * unit / 8);
        }
        try {
            return parse(text);
        } catch (UsageException e) {
            throw new UsageException("bad rate '" + text + "': expected bytes per second with an optional unit K, M, G or T"
                    + " (binary), e.g. 50M, or bits per second with kbit, mbit or gbit, e.g. 95mbit");
        }
    }

    /** A short human form: {@code 256 MiB}, {@code 1.5 GiB}, {@code 512 B}. */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return value == Math.rint(value)
                ? String.format(Locale.ROOT, "%d %s", (long) value, units[unit])
                : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /**
     * A rate in bytes per second as a link's speed is named, in decimal bits: {@code 95.0 Mbit/s},
     * {@code 1.00 Gbit/s}, {@code 512 kbit/s}; the form {@code --rate} takes back.
     */
    public static String formatBitRate(long bytesPerSecond) {
        double bits = bytesPerSecond * 8.0;
        if (bits >= 1e9) {
            return String.format(Locale.ROOT, "%.2f Gbit/s", bits / 1e9);
        }
        return bits >= 1e6 ? String.format(Locale.ROOT, "%.1f Mbit/s", bits / 1e6)
                : String.format(Locale.ROOT, "%.0f kbit/s", bits / 1e3);
    }
}
