package io.reloc.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A fenced {@code ```sh} block of a markdown page, with the {@code <!-- doctest ... -->} comment
 * that may precede it (the conventions are in docs/guide/writing-docs.md).
 *
 * @param page the page, relative to the repository
 * @param line the line of the opening fence (1-based)
 * @param language the fence's language ({@code sh}, {@code java}, ...; empty if none)
 * @param text the block's lines, without the fences
 */
record DocBlock(String page, int line, String language, String text, Directives directives) {
    private static final Pattern FENCE = Pattern.compile("^```\\s*([A-Za-z0-9_-]*)\\s*$");
    /** {@code TEXT => NEW TEXT}; nothing after the arrow removes TEXT. */
    private static final Pattern REPLACE = Pattern.compile("(\\S.*?)\\s+=>(?:\\s+(.*))?");

    DocBlock {
        requireNonNull(page, "page is null");
        requireNonNull(language, "language is null");
        requireNonNull(text, "text is null");
        requireNonNull(directives, "directives is null");
    }

    /** A command pattern the runner leaves out, and why. */
    record SkippedLine(Pattern pattern, String reason) {}

    /** Text of the block the runner replaces before running it (e.g. a benchmark's size by a tiny one). */
    record Replacement(String text, String by) {}

    /**
     * How to run a block.
     *
     * @param skip why the block is not run at all, if it is not
     * @param skipLines commands left out of the block
     * @param setup commands run before the block, not shown to readers
     * @param servers long-running commands started before the block and stopped after it
     * @param background commands of the block that run in the background until the block ends
     * @param eachFor each command of the block is a server: it must start serving, runs this many
     *     seconds, then gets SIGTERM and must exit 0 (or 143, killed by it)
     * @param script the block is this file of the repository, verbatim; the file is run
     * @param verbatim the block is this file of the repository, verbatim (code, not run)
     * @param timeoutSeconds the longest the block may take
     * @param env shell assignments ({@code NAME=VALUE ...}) exported before the block and its setup
     * @param replacements text of the block's commands replaced before they run, in one pass
     * @param synopsis the block is the synopsis of this command ({@code reloc serve}); its options
     *     are checked against the command's, not run
     * @param expect patterns that the block's output must contain (e.g. that a test really ran)
     */
    record Directives(Optional<String> skip, List<SkippedLine> skipLines, List<String> setup, List<String> servers,
                      Optional<Pattern> background, OptionalInt eachFor, Optional<String> script,
                      Optional<String> verbatim, int timeoutSeconds, List<String> env, List<Replacement> replacements,
                      Optional<String> synopsis, List<Pattern> expect) {
        static final int DEFAULT_TIMEOUT_SECONDS = 300;
        static final Directives NONE = new Directives(Optional.empty(), List.of(), List.of(), List.of(),
                Optional.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty(), DEFAULT_TIMEOUT_SECONDS,
                List.of(), List.of(), Optional.empty(), List.of());

        /** The file the block must show verbatim, if any. */
        Optional<String> includedFile() {
            return script.or(() -> verbatim);
        }

        /**
         * The command with the replacements applied, in one pass from left to right: where several
         * match at the same place the first listed wins, and replaced text is not replaced again.
         */
        String replaced(String command) {
            if (replacements.isEmpty()) {
                return command;
            }
            String any = String.join("|", replacements.stream().map(r -> Pattern.quote(r.text())).toList());
            return Pattern.compile(any).matcher(command).replaceAll(m -> Matcher.quoteReplacement(
                    replacements.stream().filter(r -> r.text().equals(m.group())).findFirst().orElseThrow().by()));
        }

        /** Parses the body of a {@code <!-- doctest ... -->} comment: one {@code key: value} per line. */
        static Directives parse(String where, String body) {
            Optional<String> skip = Optional.empty();
            List<SkippedLine> skipLines = new ArrayList<>();
            List<String> setup = new ArrayList<>();
            List<String> servers = new ArrayList<>();
            Optional<Pattern> background = Optional.empty();
            OptionalInt eachFor = OptionalInt.empty();
            Optional<String> script = Optional.empty();
            Optional<String> verbatim = Optional.empty();
            int timeout = DEFAULT_TIMEOUT_SECONDS;
            List<String> env = new ArrayList<>();
            List<Replacement> replacements = new ArrayList<>();
            Optional<String> synopsis = Optional.empty();
            List<Pattern> expect = new ArrayList<>();
            for (String raw : body.split("\n")) {
                String line = raw.strip();
                if (line.isEmpty()) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException(where + ": doctest directive '" + line + "' has no ':'");
                }
                String key = line.substring(0, colon).strip();
                String value = line.substring(colon + 1).strip();
                switch (key) {
                    case "skip" -> skip = Optional.of(value);
                    case "skip-line" -> {
                        int dashes = value.indexOf(" -- ");
                        if (dashes < 0) {
                            throw new IllegalArgumentException(where + ": 'skip-line: REGEX -- REASON' needs a reason");
                        }
                        skipLines.add(new SkippedLine(Pattern.compile(value.substring(0, dashes).strip()),
                                value.substring(dashes + 4).strip()));
                    }
                    case "setup" -> setup.add(value);
                    case "server" -> servers.add(value);
                    case "background" -> background = Optional.of(Pattern.compile(value));
                    case "each-for" -> eachFor = OptionalInt.of(Integer.parseInt(value));
                    case "script" -> script = Optional.of(value);
                    case "verbatim" -> verbatim = Optional.of(value);
                    case "timeout" -> timeout = Integer.parseInt(value);
                    case "env" -> {
                        if (!value.matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                            throw new IllegalArgumentException(where + ": 'env: NAME=VALUE ...' expected, not '" + value + "'");
                        }
                        env.add(value);
                    }
                    case "replace" -> {
                        Matcher arrow = REPLACE.matcher(value);
                        if (!arrow.matches()) {
                            throw new IllegalArgumentException(where + ": 'replace: TEXT => NEW TEXT' expected, not '" + value + "'");
                        }
                        replacements.add(new Replacement(arrow.group(1), arrow.group(2) == null ? "" : arrow.group(2)));
                    }
                    case "synopsis" -> synopsis = Optional.of(value);
                    case "expect" -> expect.add(Pattern.compile(value));
                    default -> throw new IllegalArgumentException(where + ": unknown doctest directive '" + key
                            + "' (skip, skip-line, setup, server, background, each-for, script, verbatim, timeout, env, replace,"
                            + " synopsis, expect)");
                }
            }
            return new Directives(skip, List.copyOf(skipLines), List.copyOf(setup), List.copyOf(servers), background,
                    eachFor, script, verbatim, timeout, List.copyOf(env), List.copyOf(replacements), synopsis,
                    List.copyOf(expect));
        }
    }

    /** Where the block is, for test names and messages. */
    String where() {
        return page + ":" + line;
    }

    /** Whether the runner runs this block: a {@code sh} or {@code bash} block. */
    boolean isShell() {
        return language.equals("sh") || language.equals("bash");
    }

    /** The {@code ```sh} blocks of a page, in order. */
    static List<DocBlock> shellBlocks(Path repository, String page) throws IOException {
        return blocks(repository, page).stream().filter(DocBlock::isShell).toList();
    }

    /** Every fenced block of a page, in order. */
    static List<DocBlock> blocks(Path repository, String page) throws IOException {
        List<String> lines = Files.readAllLines(repository.resolve(page), StandardCharsets.UTF_8);
        List<DocBlock> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher fence = FENCE.matcher(lines.get(i));
            if (!fence.matches()) {
                continue;
            }
            int start = i;
            StringBuilder text = new StringBuilder();
            for (i++; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
                text.append(lines.get(i)).append('\n');
            }
            if (i == lines.size()) {
                throw new IllegalArgumentException(page + ":" + (start + 1) + ": code block is not closed");
            }
            String where = page + ":" + (start + 1);
            blocks.add(new DocBlock(page, start + 1, fence.group(1), text.toString(), directivesBefore(where, lines, start)));
        }
        return List.copyOf(blocks);
    }

    /** The doctest comment ending on the last non-blank line before the fence, if there is one. */
    private static Directives directivesBefore(String where, List<String> lines, int fence) {
        int end = fence - 1;
        while (end >= 0 && lines.get(end).isBlank()) {
            end--;
        }
        if (end < 0 || !lines.get(end).strip().endsWith("-->")) {
            return Directives.NONE;
        }
        int begin = end;
        while (begin >= 0 && !lines.get(begin).contains("<!--")) {
            begin--;
        }
        if (begin < 0) {
            return Directives.NONE;
        }
        String comment = String.join("\n", lines.subList(begin, end + 1)).strip();
        comment = comment.substring(comment.indexOf("<!--") + 4, comment.lastIndexOf("-->")).strip();
        if (!comment.startsWith("doctest")) {
            return Directives.NONE;
        }
        return Directives.parse(where, comment.substring("doctest".length()));
    }
}
