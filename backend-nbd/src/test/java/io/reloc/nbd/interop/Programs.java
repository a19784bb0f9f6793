package io.reloc.nbd.interop;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs the external NBD clients; skips a test whose client is not installed. */
final class Programs {
    /** Long enough for the slowest client here (fio's verify pass) on a loaded two-core machine. */
    static final Duration TIMEOUT = Duration.ofMinutes(2);

    private Programs() {}

    /** Skips the calling test unless every program is on the PATH. */
    static void require(String... programs) {
        for (String program : programs) {
            Assumptions.assumeTrue(onPath(program),
                    program + " is not on the PATH; install it (Debian: nbdkit, libnbd-bin, qemu-utils, fio) to run this test");
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command to completion; output goes through files so that no pipe can fill up. */
    static CommandResult run(Path workDir, List<String> command) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path out = Files.createTempFile(workDir, "stdout", ".txt");
        Path err = Files.createTempFile(workDir, "stderr", ".txt");
        // In the test's own directory: some clients leave files behind (fio's verify state).
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("timed out after " + TIMEOUT + ":\n"
                    + new CommandResult(command, -1, Files.readString(out), Files.readString(err)).describe());
        }
        return new CommandResult(command, process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Runs a command and fails the test unless it exits with 0. */
    static CommandResult runOk(Path workDir, List<String> command) throws IOException, InterruptedException {
        CommandResult result = run(workDir, command);
        assertEquals(0, result.exitCode(), () -> "client reported an error:\n" + result.describe());
        return result;
    }
}
