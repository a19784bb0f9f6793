package io.reloc.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The real {@code ./reloc} launcher run as a child process, with its output collected by line. */
final class RelocProcess implements AutoCloseable {
    /** Surefire and failsafe run in the module directory; the launcher is at the repository root. */
    static final Path LAUNCHER = Path.of("..", "reloc").toAbsolutePath().normalize();

    private final Process process;
    private final LinkedBlockingQueue<String> outLines = new LinkedBlockingQueue<>();
    private final List<String> out = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<String> err = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread outReader;
    private final Thread errReader;

    private RelocProcess(Process process) {
        this.process = process;
        this.outReader = Thread.ofPlatform().daemon().start(() -> drain(process.getInputStream(), out, outLines));
        this.errReader = Thread.ofPlatform().daemon().start(() -> drain(process.getErrorStream(), err, null));
    }

    static RelocProcess start(String... args) throws IOException {
        assertTrue(Files.isExecutable(LAUNCHER), "launcher not found at " + LAUNCHER);
        List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("RELOC_LOG_LEVEL");
        return new RelocProcess(pb.start());
    }

    /** Runs to completion (at most two minutes, which only a hang would reach). */
    static RelocProcess run(String... args) throws IOException, InterruptedException {
        RelocProcess p = start(args);
        p.waitFor();
        return p;
    }

    private static void drain(InputStream in, List<String> lines, LinkedBlockingQueue<String> queue) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                lines.add(line);
                if (queue != null) {
                    queue.add(line);
                }
            }
        } catch (IOException ignored) {
            // the process went away
        }
    }

    /** Waits for a stdout line matching {@code regex} and returns its first group. */
    String awaitOut(String regex) throws InterruptedException {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            String line = outLines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    return m.groupCount() > 0 ? m.group(1) : line;
                }
            } else if (!process.isAlive() && outLines.isEmpty()) {
                fail("reloc exited with " + process.exitValue() + " before printing /" + regex + "/; stderr: " + err());
            }
        }
        return fail("no stdout line matched /" + regex + "/; stderr: " + err());
    }

    /**
     * Sends SIGTERM with kill(1): {@link Process#destroy()} would also close our ends of the
     * child's stdout and stderr, losing what it logs while it shuts down.
     */
    void terminate() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(1, TimeUnit.MINUTES) || kill.exitValue() != 0) {
            fail("kill -TERM " + process.pid() + " failed");
        }
    }

    /** SIGKILL: the process gets no chance to flush or clean up, as in a crash. */
    void killHard() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(1, TimeUnit.MINUTES);
    }

    int waitFor() throws InterruptedException {
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("reloc did not exit; stderr: " + err());
        }
        outReader.join(10_000);
        errReader.join(10_000);
        return process.exitValue();
    }

    int exitValue() {
        return process.exitValue();
    }

    String out() {
        synchronized (out) {
            return String.join("\n", out);
        }
    }

    List<String> errLines() {
        synchronized (err) {
            return List.copyOf(err);
        }
    }

    String err() {
        return String.join("\n", errLines());
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
