package io.reloc.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a documentation block into the bash script that runs it: strict mode, the block's
 * environment, setup and servers first, its commands as written (less those the directives leave
 * out, with the text the directives replace replaced, with those the directives put in the
 * background or run as servers for a while), and a trap that stops everything it started.
 */
final class DocScript {
    /** Every block starts with this: fail on the first failing command; stop what was started. */
    static final String PREAMBLE = """
            set -euo pipefail
            trap 'exit 143' TERM INT
            trap 'kill $(jobs -p) 2> /dev/null || true; wait || true' EXIT
            # Waits (at most 120 s) until a server (LOG PID COMMAND) says that it serves.
            doctest_await() {
                for i in $(seq 1200); do
                    grep -q -E '^(serving|wan) ' "$1" 2> /dev/null && return 0
                    kill -0 "$2" 2> /dev/null || break
                    sleep 0.1
                done
                echo "doctest: '$3' did not start serving; its output:" >&2
                cat "$1" >&2
                return 1
            }
            # Stops a server (LOG PID COMMAND) with SIGTERM: it must exit 0, or by the signal (143).
            doctest_stop() {
                local status=0
                kill -TERM "$2"
                wait "$2" || status=$?
                cat "$1"
                if [ "$status" != 0 ] && [ "$status" != 143 ]; then
                    echo "doctest: '$3' exited with status $status after SIGTERM" >&2
                    return 1
                fi
            }
            """;

    private DocScript() {}

    /** The script for a block; the sandbox substitutes ports, hosts and paths in it afterwards. */
    static String of(DocBlock block) {
        DocBlock.Directives d = block.directives();
        StringBuilder script = new StringBuilder(PREAMBLE);
        d.env().forEach(assignments -> script.append("export ").append(assignments).append('\n'));
        d.setup().forEach(command -> script.append(command).append('\n'));
        int background = 0;
        for (String server : d.servers()) {
            background++;
            appendBackground(script, server, background);
        }
        for (String written : commands(block.text())) {
            String shown = written.strip();
            if (shown.isEmpty() || shown.startsWith("#")) {
                script.append(written).append('\n');
                continue;
            }
            if (d.skipLines().stream().anyMatch(s -> s.pattern().matcher(shown).find())) {
                script.append(": skipped by doctest: ").append(shown.replace("\n", " ").replaceAll("[^A-Za-z0-9 ./_-]", " "))
                        .append('\n');
                continue;
            }
            String command = d.replaced(written);
            String logical = command.strip();
            if (!command.equals(written)) {
                script.append("echo 'doctest runs: ").append(quoted(withoutComment(logical))).append("'\n");
            }
            if (d.background().isPresent() && d.background().get().matcher(logical).find()) {
                background++;
                appendBackground(script, withoutComment(logical), background);
            } else if (d.eachFor().isPresent()) {
                background++;
                appendBackground(script, withoutComment(logical), background);
                script.append("sleep ").append(d.eachFor().getAsInt()).append('\n')
                        .append("doctest_stop .background-").append(background).append(".log $! '")
                        .append(quoted(withoutComment(logical))).append("'\n");
            } else {
                script.append(command).append('\n');
            }
        }
        return script.toString();
    }

    private static void appendBackground(StringBuilder script, String written, int n) {
        String command = written.replaceAll("\\s*&\\s*$", ""); // put in the background here, with its log
        String log = ".background-" + n + ".log";
        script.append(command).append(" > ").append(log).append(" 2>&1 &\n")
                .append("doctest_await ").append(log).append(" $! '").append(quoted(command)).append("'\n");
    }

    /** A command as the text of a single-quoted message. */
    private static String quoted(String command) {
        return command.replace("'", "").replace("\\\n", " ").replace("\n", " ");
    }

    /** A command without a trailing {@code # comment} (only a comment after whitespace, outside quotes counts). */
    private static String withoutComment(String command) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (c == '\'' && !dbl) {
                single = !single;
            } else if (c == '"' && !single) {
                dbl = !dbl;
            } else if (c == '#' && !single && !dbl && i > 0 && Character.isWhitespace(command.charAt(i - 1))) {
                return command.substring(0, i).strip();
            }
        }
        return command;
    }

    /** The block's lines, with backslash-continued lines joined into one command (newlines kept). */
    static List<String> commands(String text) {
        List<String> commands = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            current.append(line);
            if (line.endsWith("\\")) {
                current.append('\n');
            } else {
                commands.add(current.toString());
                current.setLength(0);
            }
        }
        if (!current.isEmpty()) {
            commands.add(current.toString());
        }
        return commands;
    }
}
