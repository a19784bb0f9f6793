package io.reloc.cli;

import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code reloc experiment} end to end, in-process with the real plugins, on a small disk and a fast link. */
class ExperimentCommandTest {
    private static final Pattern SERIES = Pattern.compile("<polyline class=\"series\" data-series=\"([^\"]*)\"[^>]*points=\"([^\"]*)\"");

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CliContext context = new CliContext(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), dir, dir,
                Plugins::load, new CliContext.LogSettings());
        return new Main(context).run(args);
    }

    @Test
    void comparesTheBuiltInStrategyWithTheExampleAndPrecopyInATableAndAReport() throws Exception {
        int status = run("-q", "experiment", "--strategy", "linear,shuffled,linear/precopy", "--workload", "kernel", "--size", "8M",
                "--rate", "1gbit", "--rtt", "2ms", "--switch-after", "1", "--duration", "2", "--iops", "100", "--seed", "5",
                "--dir", "exp");
        String output = out + "\n" + err;
        assertEquals(0, status, output);
        assertTrue(output.contains("reproduce: reloc experiment --strategy linear,shuffled,linear/precopy --workload kernel --size 8M"),
                output);
        List<String> rows = out.toString().lines()
                .filter(l -> l.startsWith("linear ") || l.startsWith("shuffled ") || l.startsWith("linear/precopy ")).toList();
        assertEquals(3, rows.size(), "a row per strategy: " + output);
        rows.forEach(row -> assertTrue(row.endsWith("yes"), "verified: " + row));

        String html = Files.readString(dir.resolve("exp").resolve(ExperimentCommand.REPORT), StandardCharsets.UTF_8);
        String[] charts = html.split("<svg", -1);
        assertEquals(4, charts.length, "three charts");
        for (int i = 1; i < charts.length; i++) {
            Matcher m = SERIES.matcher(charts[i]);
            List<String> names = new ArrayList<>();
            while (m.find()) {
                names.add(m.group(1));
                assertTrue(m.group(2).trim().split("\\s+").length >= 2, "chart " + i + ", " + m.group(1) + " has data");
            }
            assertEquals(List.of("linear", "shuffled", "linear/precopy"), names, "chart " + i);
        }
        for (String external : List.of("<script", "src=", "href=")) {
            assertTrue(!html.contains(external), "self-contained: " + external);
        }
    }

    @Test
    void theClosedLoopHarnessStillVerifiesAndIsRepeatedByTheReproduceLine() {
        int status = run("-q", "experiment", "--closed-loop", "--workload", "zipf", "--size", "8M", "--rate", "1gbit",
                "--rtt", "2ms", "--history", "1", "--switch-after", "0", "--duration", "1", "--iops", "100", "--dir", "closed");
        String output = out + "\n" + err;
        assertEquals(0, status, output);
        assertTrue(output.contains("closed loop: one request at a time"), output);
        assertTrue(output.lines().anyMatch(l -> l.startsWith("reproduce: ") && l.endsWith(" --closed-loop")), output);
        assertTrue(out.toString().lines().anyMatch(l -> l.startsWith("linear ") && l.endsWith("yes")), "verified: " + output);
    }

    @Test
    void anUnknownStrategyIsAUsageErrorNamingTheKnownOnes() {
        assertEquals(ExitCodes.USAGE, run("experiment", "--strategy", "linear,zigzag", "--dir", "x"));
        String first = err.toString().lines().findFirst().orElse("");
        assertTrue(first.contains("zigzag") && first.contains("linear") && first.contains("shuffled"), first);
        assertTrue(Files.notExists(dir.resolve("x")), "nothing generated before the check");
    }

    @Test
    void anUnknownWorkloadIsAUsageError() {
        assertEquals(ExitCodes.USAGE, run("experiment", "--workload", "fio"));
        assertTrue(err.toString().contains("unknown workload 'fio'; choose one of zipf, sequential, kernel, database, vm"), err.toString());
    }

    @Test
    void theStrategyListKeepsOrderDropsRepeatsAndMarksPrecopy() {
        assertEquals(List.of(new ExperimentCommand.Variant("linear", "linear", false),
                        new ExperimentCommand.Variant("hotspot+readahead", "hotspot+readahead", false),
                        new ExperimentCommand.Variant("linear/precopy", "linear", true)),
                ExperimentCommand.variants("linear, hotspot+readahead,,linear/precopy,linear"));
        assertEquals(ExitCodes.USAGE, run("experiment", "--strategy", "/precopy"));
        assertTrue(err.toString().contains("bad --strategy entry '/precopy': write NAME or NAME/precopy"), err.toString());
    }

    @Test
    void thePaperExperimentWritesTheDemoReportWithTheKernelBuildMix() throws Exception {
        int status = run("-q", "experiment", "paper", "--size", "8M", "--rate", "1gbit", "--switch-after", "1", "--dir", "paper");
        String output = out + "\n" + err;
        assertEquals(0, status, output);
        assertTrue(output.contains("verified: all 8 MiB of the destination match"), output);
        assertTrue(output.contains("workload: kernel, seed 1"), output);
        String html = Files.readString(dir.resolve("paper").resolve(PaperCommand.REPORT), StandardCharsets.UTF_8);
        assertTrue(html.contains("xNBD experiment (Hirofuchi et al.) reproduced"), html);
        assertEquals(5, html.split("<svg", -1).length, "the demo's four charts");
    }
}
