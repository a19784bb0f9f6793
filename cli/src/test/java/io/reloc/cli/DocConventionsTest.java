package io.reloc.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The documentation's doctest comments are well-formed and the code the pages show verbatim is the
 * code in the repository (fast: nothing is run; {@link DocCommandsIT} runs the commands).
 */
class DocConventionsTest {
    private static final Path REPOSITORY = DocCommandsIT.REPOSITORY;

    @Test
    void everyPageParsesAndShowsItsFilesVerbatim() throws IOException {
        List<String> checked = new ArrayList<>();
        for (String page : DocCommandsIT.allPages()) {
            for (DocBlock block : DocBlock.blocks(REPOSITORY, page)) {
                var file = block.directives().includedFile();
                if (file.isPresent()) {
                    Path path = REPOSITORY.resolve(file.get());
                    assertTrue(Files.isRegularFile(path), block.where() + " names a file that does not exist: " + file.get());
                    assertEquals(Files.readString(path, StandardCharsets.UTF_8).strip(), block.text().strip(),
                            block.where() + " must show " + file.get() + " verbatim: copy the file into the page again");
                    checked.add(file.get());
                }
            }
        }
        assertTrue(checked.contains("docs/guide/qemu-walkthrough.sh"), checked.toString());
        assertTrue(checked.stream().anyMatch(f -> f.endsWith("HttpSourceConnector.java")), checked.toString());
    }

    @Test
    void readsTheDirectivesBeforeABlock(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("page.md"), """
                Text.

                <!-- doctest
                setup: truncate -s 1M /var/lib/images/a.img
                server: ./reloc serve --listen 127.0.0.1:10809 --export a=/var/lib/images/a.img
                skip-line: ^\\.ci/test -- the suite itself
                each-for: 3
                -->
                ```sh
                ./reloc serve --export a=/var/lib/images/a.img   # a comment
                .ci/test
                ```

                <!-- doctest skip: needs a SAN -->
                ```sh
                iscsiadm -m discovery
                ```

                ```java
                class A {}
                ```
                """);
        List<DocBlock> blocks = DocBlock.blocks(dir, "page.md");
        assertEquals(3, blocks.size());
        assertEquals(2, DocBlock.shellBlocks(dir, "page.md").size());
        DocBlock first = blocks.get(0);
        assertEquals(9, first.line());
        assertEquals(List.of("truncate -s 1M /var/lib/images/a.img"), first.directives().setup());
        assertEquals(1, first.directives().servers().size());
        assertEquals(3, first.directives().eachFor().getAsInt());
        assertEquals("needs a SAN", blocks.get(1).directives().skip().orElseThrow());
        assertEquals(DocBlock.Directives.NONE, blocks.get(2).directives());

        String script = DocScript.of(first);
        assertTrue(script.startsWith(DocScript.PREAMBLE), script);
        assertTrue(script.contains("./reloc serve --export a=/var/lib/images/a.img > .background-2.log 2>&1 &\n"
                + "doctest_await .background-2.log $! './reloc serve --export a=/var/lib/images/a.img'\nsleep 3\n"
                + "doctest_stop .background-2.log $! "), script);
        assertTrue(script.contains(": skipped by doctest: .ci/test"), script);
        assertFalse(script.contains("\n.ci/test"), script);
        assertTrue(script.contains("./reloc serve --listen 127.0.0.1:10809 --export a=/var/lib/images/a.img > .background-1.log 2>&1 &"),
                script);
    }

    @Test
    void exportsTheEnvironmentAndReplacesTextBeforeRunning() {
        DocBlock.Directives d = DocBlock.Directives.parse("p.md:1", """
                env: SIZE=256M RUNTIME=1
                env: BENCH_DIR=$PWD/bench-out
                replace: ./reloc experiment paper => ./reloc experiment paper --size 16M
                replace: ./reloc experiment => ./reloc experiment --size 16M --duration 1
                replace: --switch-after 30 => --switch-after 1
                replace: --size 1G =>
                expect: ^ran \\d+ tests
                """);
        assertEquals(List.of("SIZE=256M RUNTIME=1", "BENCH_DIR=$PWD/bench-out"), d.env());
        assertTrue(d.expect().getFirst().matcher("ran 12 tests").find());
        // One pass: the first listed wins where two match, and what a replacement put in stays.
        assertEquals("./reloc experiment paper --size 16M   # the paper",
                d.replaced("./reloc experiment paper   # the paper"));
        assertEquals("./reloc experiment --size 16M --duration 1 --workload kernel --switch-after 1",
                d.replaced("./reloc experiment --workload kernel --switch-after 30"));
        assertEquals("bench/wan-bench.sh 1024", d.replaced("bench/wan-bench.sh 1024"));
        assertEquals("--trace vm1.csv  --seed 2", d.replaced("--trace vm1.csv --size 1G --seed 2"));

        DocBlock block = new DocBlock("p.md", 3, "sh", """
                ./reloc experiment --switch-after 30   # a comment
                SIZE=1G bench/relocation-bench.sh
                """, d);
        String script = DocScript.of(block);
        assertTrue(script.startsWith(DocScript.PREAMBLE + "export SIZE=256M RUNTIME=1\nexport BENCH_DIR=$PWD/bench-out\n"), script);
        assertTrue(script.contains("echo 'doctest runs: ./reloc experiment --size 16M --duration 1 --switch-after 1'\n"
                + "./reloc experiment --size 16M --duration 1 --switch-after 1   # a comment\n"), script);
        // An assignment written in the command wins over the block's environment, as in a shell.
        assertTrue(script.endsWith("\nSIZE=1G bench/relocation-bench.sh\n"), script);
        assertFalse(script.contains("--switch-after 30"), script);
    }

    @Test
    void refusesUnknownDirectivesAndSkippedLinesWithoutAReason() {
        assertThrows(IllegalArgumentException.class, () -> DocBlock.Directives.parse("p.md:1", "env: 1X=2"));
        assertThrows(IllegalArgumentException.class, () -> DocBlock.Directives.parse("p.md:1", "env: --size 1G"));
        assertThrows(IllegalArgumentException.class, () -> DocBlock.Directives.parse("p.md:1", "replace: --size 1G"));
        assertThrows(IllegalArgumentException.class, () -> DocBlock.Directives.parse("p.md:1", "replace:  => x"));
        assertThrows(IllegalArgumentException.class, () -> DocBlock.Directives.parse("p.md:1", "skipp: x"));
        assertThrows(IllegalArgumentException.class, () -> DocBlock.Directives.parse("p.md:1", "skip-line: ^x"));
        assertThrows(IllegalArgumentException.class, () -> DocBlock.Directives.parse("p.md:1", "background"));
    }

    @Test
    void theSandboxReplacesPortsHostsAndPaths(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        DocSandbox sandbox = new DocSandbox(REPOSITORY, dir);
        String out = sandbox.substitute("""
                ./reloc serve --listen 0.0.0.0:10809 --export vm1=/var/lib/images/vm1.img
                ./reloc proxy --source nbd://SOURCE:10809/vm1 --control 127.0.0.1:9010 --rate 20M
                curl -s http://127.0.0.1:9010/status
                """);
        assertFalse(out.contains("10809") || out.contains(":9010") || out.contains("SOURCE") || out.contains("0.0.0.0"), out);
        assertTrue(out.contains("vm1=" + dir.resolve("var/lib/images/vm1.img")), out);
        assertTrue(out.contains("--rate 20M"), out);
        String[] lines = out.split("\n");
        String sourcePort = lines[0].replaceAll(".*127\\.0\\.0\\.1:(\\d+) .*", "$1");
        assertTrue(lines[1].contains("nbd://127.0.0.1:" + sourcePort + "/vm1"), out);
        assertTrue(Files.isExecutable(dir.resolve("reloc")));
        assertTrue(Files.isExecutable(dir.resolve("bench/relocation-bench.sh")), "bench/ is the repository's");
        assertTrue(Files.isExecutable(dir.resolve(".bin/sudo")));
    }
}
