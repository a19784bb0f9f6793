package io.reloc.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads fields of the proxy's status JSON, a flat object of strings, numbers and booleans (see
 * {@code io.reloc.core.relocation.ProxyStatus}); no general JSON parser is needed for that.
 */
record StatusJson(String json) {

    String text(String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        return m.find() ? m.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : "";
    }

    long number(String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":(-?[0-9]+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    boolean flag(String field) {
        return json.contains("\"" + field + "\":true");
    }

    String state() {
        return text("state");
    }

    boolean complete() {
        return state().equals("complete");
    }
}
