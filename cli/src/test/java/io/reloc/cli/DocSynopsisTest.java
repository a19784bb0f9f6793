package io.reloc.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The synopses of the docs ({@code <!-- doctest synopsis: reloc serve -->} before a block) are
 * "run" against the command line itself: every option a synopsis shows is an option of that
 * command, and every option of that command is documented on the synopsis's page. The launcher
 * line of docs/cli.md shows the JVM options the launcher really passes.
 */
class DocSynopsisTest {
    /** An option as a synopsis writes it: {@code --name} or {@code -x}, not inside a word. */
    // A JVM option keeps its -XX: part and name: -XX:+Flag, -XX:Name=VALUE.
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[A-Za-z][A-Za-z0-9-]*(?::[+-]?[A-Za-z][A-Za-z0-9]*)?)");
    /** Options every command has, documented once in docs/cli.md ("Global options"). */
    private static final Set<String> GLOBAL = Set.of("-h", "--help", "-V", "--version", "-v", "--verbose", "-q", "--quiet");

    private final CommandLine reloc = new Main(CliContext.system()).commandLine();

    @Test
    void everySynopsisShowsOnlyOptionsOfItsCommandAndItsPageDocumentsThemAll() throws IOException {
        List<String> checked = new ArrayList<>();
        for (String page : DocCommandsIT.allPages()) {
            String pageText = Files.readString(DocCommandsIT.REPOSITORY.resolve(page), StandardCharsets.UTF_8);
            for (DocBlock block : DocBlock.blocks(DocCommandsIT.REPOSITORY, page)) {
                if (block.directives().synopsis().isEmpty()) {
                    continue;
                }
                String command = block.directives().synopsis().get();
                CommandLine cl = command(command);
                Set<String> names = optionNames(cl);
                for (String line : block.text().strip().split("\n")) {
                    assertTrue(line.startsWith(command + " ") || line.startsWith(" "),
                            block.where() + ": each line of the synopsis of '" + command + "' starts with it: " + line);
                }
                Set<String> shown = options(block.text());
                shown.removeAll(names);
                assertEquals(Set.of(), shown, block.where() + ": options the synopsis shows that '" + command + "' does not have");
                Set<String> undocumented = new TreeSet<>(names);
                undocumented.removeAll(GLOBAL);
                undocumented.removeAll(options(pageText));
                assertEquals(Set.of(), undocumented, page + ": options of '" + command + "' the page does not document");
                checked.add(command);
            }
        }
        assertTrue(checked.containsAll(List.of("reloc serve", "reloc proxy", "reloc ctl", "reloc demo")), checked.toString());
    }

    @Test
    void theCheckFindsAnOptionThatDoesNotExist() {
        Set<String> shown = options("reloc serve [--listen HOST:PORT] --export NAME=PATH[,readonly] [--dureation SECONDS]");
        shown.removeAll(optionNames(command("reloc serve")));
        assertEquals(Set.of("--dureation"), shown);
        assertFalse(options("a multi-word-name and x-y").contains("-word-name"));
    }

    @Test
    void theLauncherLineShowsTheJvmOptionsOfTheLauncher() throws IOException {
        String launcher = Files.readString(DocCommandsIT.REPOSITORY.resolve("reloc"), StandardCharsets.UTF_8);
        DocBlock line = DocBlock.blocks(DocCommandsIT.REPOSITORY, "docs/cli.md").stream()
                .filter(b -> b.text().contains("io.reloc.cli.Main")).findFirst().orElseThrow();
        Set<String> shown = options(line.text());
        assertTrue(shown.contains("--sun-misc-unsafe-memory-access"), shown.toString());
        assertTrue(shown.contains("-XX:Tier4InvocationThreshold"), shown.toString());
        for (String option : shown) {
            assertTrue(launcher.contains(option + "=") || launcher.contains(option + " "),
                    line.where() + " shows " + option + ", which the launcher does not pass");
        }
    }

    /** The command a synopsis names: {@code reloc} then subcommand names. */
    private CommandLine command(String path) {
        String[] words = path.split(" ");
        assertEquals("reloc", words[0], "a synopsis names a reloc command: " + path);
        CommandLine cl = reloc;
        for (int i = 1; i < words.length; i++) {
            CommandLine sub = cl.getSubcommands().get(words[i]);
            assertTrue(sub != null, "no command '" + path + "'; there are " + cl.getSubcommands().keySet());
            cl = sub;
        }
        return cl;
    }

    private static Set<String> optionNames(CommandLine cl) {
        Set<String> names = new LinkedHashSet<>(GLOBAL);
        for (OptionSpec option : cl.getCommandSpec().options()) {
            names.addAll(List.of(option.names()));
        }
        return names;
    }

    private static Set<String> options(String text) {
        Set<String> options = new TreeSet<>();
        Matcher m = OPTION.matcher(text);
        while (m.find()) {
            options.add(m.group(1));
        }
        return options;
    }
}
