package io.reloc.iscsi.pdu;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code key=value} pairs, each ended by a NUL, of Login and Text data segments (RFC 7143
 * §6.1). Order and repetition are kept because SendTargets answers repeat keys.
 */
public final class TextParameters {
    /** Longest key RFC 7143 allows (§6.1). */
    public static final int MAX_KEY_LENGTH = 63;

    private TextParameters() {}

    /** One {@code key=value} pair. */
    public record Pair(String key, String value) {
        public Pair {
            java.util.Objects.requireNonNull(key, "key is null");
            java.util.Objects.requireNonNull(value, "value is null");
        }
    }

    /**
     * Parses a data segment. Trailing NULs (padding) are ignored; a final pair without its NUL is
     * accepted, as some initiators send it that way.
     *
     * @throws IllegalArgumentException on a pair without {@code =}, an empty or too long key
     */
    public static List<Pair> parse(byte[] data) {
        List<Pair> pairs = new ArrayList<>();
        int start = 0;
        while (start < data.length) {
            int end = start;
            while (end < data.length && data[end] != 0) {
                end++;
            }
            if (end > start) {
                String text = new String(data, start, end - start, StandardCharsets.UTF_8);
                int eq = text.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("text parameter without '=': '" + text + "'");
                }
                String key = text.substring(0, eq);
                if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
                    throw new IllegalArgumentException("text key must be 1 to 63 characters: '" + key + "'");
                }
                pairs.add(new Pair(key, text.substring(eq + 1)));
            }
            start = end + 1;
        }
        return pairs;
    }

    public static byte[] encode(List<Pair> pairs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Pair p : pairs) {
            out.writeBytes((p.key() + "=" + p.value()).getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    public static byte[] encode(Map<String, String> pairs) {
        return encode(pairs.entrySet().stream().map(e -> new Pair(e.getKey(), e.getValue())).toList());
    }
}
