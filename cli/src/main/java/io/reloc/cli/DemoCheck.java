package io.reloc.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static java.util.Objects.requireNonNull;

/**
 * {@code reloc demo --check}: runs the read-only client commands the demo prints against the
 * running server and reports each as ok, FAIL or skip (client not installed).
 */
final class DemoCheck {
    private static final Map<String, String> PACKAGE = Map.of(
            "nbdinfo", "libnbd-bin", "nbdcopy", "libnbd-bin", "qemu-img", "qemu-utils", "qemu-io", "qemu-utils", "fio", "fio");

    /** One client command and what its output must show. */
    private record Step(List<String> command, Predicate<String> outputOk, String expectation) {}

    private final String uri;
    private final Path image;
    private final long size;
    private final PrintWriter out;

    DemoCheck(String uri, Path image, long size, PrintWriter out) {
        this.uri = requireNonNull(uri, "uri is null");
        this.image = requireNonNull(image, "image is null");
        this.size = size;
        this.out = requireNonNull(out, "out is null");
    }

    /** Runs every step; returns the number that failed (skipped ones do not count). */
    int run() throws InterruptedException {
        Path copy = image.resolveSibling("copy.img");
        List<Step> steps = List.of(
                new Step(List.of("nbdinfo", uri), o -> o.contains("export-size: " + size), "export-size: " + size),
                new Step(List.of("nbdinfo", "--map", uri), o -> o.contains("hole") && o.contains("data"), "both data and holes"),
                new Step(List.of("qemu-img", "info", "-f", "raw", uri), o -> o.contains("(" + size + " bytes)"), size + " bytes"),
                new Step(List.of("qemu-img", "compare", "-U", "-f", "raw", "-F", "raw", image.toString(), uri),
                        o -> o.contains("Images are identical"), "identical images"),
                new Step(List.of("qemu-io", "-f", "raw", "-c", "read 0 64k", uri), o -> o.contains("read 65536/65536 bytes"), "a 64 KiB read"),
                new Step(List.of("nbdcopy", uri, copy.toString()), o -> sameFiles(image, copy), "a copy equal to the image"),
                new Step(List.of("fio", "--name=check", "--ioengine=nbd", "--uri=" + uri, "--rw=randread", "--bs=4k",
                        "--iodepth=8", "--runtime=3", "--time_based"), o -> o.contains("err= 0"), "no I/O errors"));
        out.println("Checking the demo with the clients found on this machine:");
        int failed = 0;
        for (Step step : steps) {
            failed += check(step) ? 0 : 1;
        }
        try {
            Files.deleteIfExists(copy);
        } catch (IOException ignored) {
            // only a leftover copy
        }
        out.println(failed == 0 ? "all checks passed" : failed + " check(s) failed");
        out.flush();
        return failed;
    }

    private boolean check(Step step) throws InterruptedException {
        String program = step.command().get(0);
        String line = String.join(" ", step.command().stream().map(a -> a.contains(" ") ? "'" + a + "'" : a).toList());
        if (findOnPath(program).isEmpty()) {
            out.println("  skip  " + line + "   (" + program + " is not installed: apt-get install " + PACKAGE.get(program) + ")");
            return true;
        }
        String why;
        try {
            Process process = new ProcessBuilder(step.command()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                why = "did not finish in 2 minutes";
            } else {
                String text = new String(output, StandardCharsets.UTF_8);
                if (process.exitValue() != 0) {
                    why = "exit status " + process.exitValue() + ": " + lastLine(text);
                } else if (!step.outputOk().test(text)) {
                    why = "expected " + step.expectation() + ", got: " + lastLine(text);
                } else {
                    out.println("  ok    " + line);
                    return true;
                }
            }
        } catch (IOException e) {
            why = e.getMessage();
        }
        out.println("  FAIL  " + line + "   (" + why + ")");
        return false;
    }

    private static boolean sameFiles(Path a, Path b) {
        try {
            return Files.mismatch(a, b) == -1;
        } catch (IOException e) {
            return false;
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
    }

    static Optional<Path> findOnPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, program);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
