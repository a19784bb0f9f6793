package io.reloc.cli;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Runs every {@code ```sh} block of the README and of docs/ as a reader would paste it, page by
 * page in one sandbox per page, and fails if a command fails, so that the documentation cannot
 * rot. The conventions (doctest comments, placeholders, ports) are in docs/guide/writing-docs.md.
 * A block whose doctest comment says {@code skip:} is reported as skipped with its reason.
 */
@Tag("interop")
class DocCommandsIT {
    /** Exit status by which a script (a walkthrough, a benchmark) says that something it needs is not installed. */
    static final int SKIPPED = 77;
    /** Surefire and failsafe run in the module directory. */
    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    /** README.md, then every page under docs/, in name order; {@code -Dreloc.docs=PAGE,...} runs only those. */
    static List<String> pages() throws IOException {
        String only = System.getProperty("reloc.docs", "");
        return only.isBlank() ? allPages() : List.of(only.split(","));
    }

    /** README.md, then every page under docs/, in name order. */
    static List<String> allPages() throws IOException {
        List<String> pages = new ArrayList<>(List.of("README.md"));
        try (Stream<Path> docs = Files.walk(REPOSITORY.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md"))
                    .map(p -> REPOSITORY.relativize(p).toString())
                    .sorted()
                    .forEach(pages::add);
        }
        return pages;
    }

    @TestFactory
    Stream<DynamicNode> everyCommandOfTheDocsRuns() throws IOException {
        List<DynamicNode> nodes = new ArrayList<>();
        for (String page : pages()) {
            List<DocBlock> blocks = DocBlock.shellBlocks(REPOSITORY, page);
            if (blocks.isEmpty()) {
                continue;
            }
            Path sandboxDir = dir.resolve(page.replace('/', '_'));
            DocSandbox[] sandbox = new DocSandbox[1];
            List<DynamicTest> tests = new ArrayList<>();
            for (DocBlock block : blocks) {
                tests.add(DynamicTest.dynamicTest(block.where(), () -> {
                    if (sandbox[0] == null) {
                        sandbox[0] = new DocSandbox(REPOSITORY, Files.createDirectories(sandboxDir));
                    }
                    run(block, sandbox[0]);
                }));
            }
            nodes.add(DynamicContainer.dynamicContainer(page, tests));
        }
        return nodes.stream();
    }

    private static void run(DocBlock block, DocSandbox sandbox) throws IOException, InterruptedException {
        DocBlock.Directives d = block.directives();
        if (d.skip().isPresent()) {
            abort(block.where() + " is not run: " + d.skip().get());
        }
        long started = System.nanoTime();
        DocSandbox.Result result;
        if (d.script().isPresent()) {
            Path script = REPOSITORY.resolve(d.script().get());
            assertEquals(Files.readString(script, StandardCharsets.UTF_8).strip(), block.text().strip(),
                    block.where() + " must show " + d.script().get() + " verbatim");
            result = sandbox.run(List.of("bash", script.toString()), sandbox.dir().resolve(script.getFileName() + ".out"),
                    d.timeoutSeconds());
            if (result.exitStatus() == SKIPPED) {
                abort(block.where() + ": " + d.script().get() + " says something it needs is missing: "
                        + DocSandbox.tail(result.output(), 3));
            }
        } else {
            result = sandbox.run(sandbox.substitute(DocScript.of(block)), d.timeoutSeconds());
            if (result.exitStatus() == SKIPPED) {
                abort(block.where() + ": a command says something it needs is missing: "
                        + DocSandbox.tail(result.output(), 3));
            }
        }
        System.out.printf("--- %s (exit %d, %.0f s)%n%s%n", block.where(), result.exitStatus(),
                (System.nanoTime() - started) / 1e9, DocSandbox.tail(result.output(), 15));
        assertFalse(result.timedOut(), block.where() + " did not finish in " + d.timeoutSeconds() + " s:\n"
                + DocSandbox.tail(result.output(), 40));
        if (result.exitStatus() != 0) {
            fail(block.where() + " failed with exit status " + result.exitStatus() + ":\n" + DocSandbox.tail(result.output(), 40));
        }
        for (var expected : d.expect()) {
            assertTrue(expected.matcher(result.output()).find(), block.where() + " did not print what its 'expect: "
                    + expected + "' says:\n" + DocSandbox.tail(result.output(), 40));
        }
    }
}
