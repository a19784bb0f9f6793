package io.reloc.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Where the command blocks of one documentation page run, as a reader pasting them in order would
 * run them: a temporary directory with a {@code reloc} launcher, {@code /var/lib/...} paths moved
 * into it, and the documented ports replaced by free ones chosen at run time (the conventions are
 * in docs/guide/writing-docs.md).
 */
final class DocSandbox {
    /** Ports the documentation uses; each is replaced by a free port. */
    static final List<Integer> DOCUMENTED_PORTS = List.of(10809, 10810, 9010, 20000, 3260);
    /** Host names that stand for another site in the documentation; here every site is loopback. */
    private static final Pattern OTHER_HOSTS = Pattern.compile("(?<=//)(SOURCE|NEWHOST)(?=:)|\\b0\\.0\\.0\\.0(?=:)");
    private static final Pattern PORTS = Pattern.compile("(?<=:)(10809|10810|9010|20000|3260)\\b");
    private static final int STOP_GRACE_SECONDS = 20;

    private final Path repository;
    private final Path dir;
    private final Map<Integer, Integer> ports = new LinkedHashMap<>();
    private int blocks;

    DocSandbox(Path repository, Path dir) throws IOException {
        this.repository = requireNonNull(repository, "repository is null");
        this.dir = requireNonNull(dir, "dir is null");
        Set<Integer> taken = new HashSet<>();
        for (int documented : DOCUMENTED_PORTS) {
            int port;
            do {
                port = freePort();
            } while (!taken.add(port));
            ports.put(documented, port);
        }
        Files.createDirectories(dir.resolve("var/lib/images"));
        Files.createDirectories(dir.resolve("var/lib/reloc"));
        // ./reloc and $PWD/reloc in the docs: the repository's launcher. 'reloc proxy', 'ctl' and 'status'
        // without --control use the documented default 127.0.0.1:9010, replaced here like every port.
        Path launcher = dir.resolve("reloc");
        Files.writeString(launcher, """
                #!/usr/bin/env bash
                if { [ "${1:-}" = ctl ] || [ "${1:-}" = status ] || [ "${1:-}" = proxy ]; } && ! printf '%%s\\n' "$@" | grep -q -- '^--control'; then
                    command=$1
                    shift
                    set -- "$command" --control 127.0.0.1:%d "$@"
                fi
                exec %s "$@"
                """.formatted(ports.get(9010), repository.resolve("reloc")), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        // bench/...sh in the docs: the repository's benchmark scripts, run from its root as written.
        Files.createSymbolicLink(dir.resolve("bench"), repository.resolve("bench"));
        // 'sudo COMMAND' in the docs: COMMAND as is when the tests run as root, 'sudo -n' (no password
        // prompt) otherwise, and the exit status that says "skipped: something is missing" without it.
        Path sudo = Files.createDirectories(dir.resolve(".bin")).resolve("sudo");
        Files.writeString(sudo, """
                #!/usr/bin/env bash
                [ "$(id -u)" = 0 ] && exec "$@"
                PATH=${PATH#*/.bin:}
                command -v sudo > /dev/null && sudo -n true 2> /dev/null && exec sudo -n "$@"
                echo "sudo: needs root, or sudo without a password, to run: $*" >&2
                exit %d
                """.formatted(DocCommandsIT.SKIPPED), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(sudo, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    Path dir() {
        return dir;
    }

    /** The text with the documented ports, hosts and paths replaced by this sandbox's. */
    String substitute(String text) {
        String out = OTHER_HOSTS.matcher(text).replaceAll("127.0.0.1");
        Matcher m = PORTS.matcher(out);
        out = m.replaceAll(r -> Integer.toString(ports.get(Integer.parseInt(r.group(1)))));
        return out.replace("/var/lib/", dir.resolve("var/lib") + "/");
    }

    /** The outcome of a block: its exit status and what it printed. */
    record Result(int exitStatus, String output, boolean timedOut) {}

    /** Runs a bash script in the sandbox (at most {@code timeoutSeconds}); every process it started is gone afterwards. */
    Result run(String script, int timeoutSeconds) throws IOException, InterruptedException {
        int n = ++blocks;
        Path file = dir.resolve(".block-" + n + ".sh");
        Path output = dir.resolve(".block-" + n + ".out");
        Files.writeString(file, script, StandardCharsets.UTF_8);
        return run(List.of("bash", file.toString()), output, timeoutSeconds);
    }

    /** Runs a command in the sandbox (at most {@code timeoutSeconds}); every process it started is gone afterwards. */
    Result run(List<String> command, Path output, int timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("RELOC_LOG_LEVEL");
        pb.environment().put("TMPDIR", dir.toString()); // mktemp -d in a walkthrough: inside the sandbox
        pb.environment().put("PATH", dir.resolve(".bin") + ":" + pb.environment().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("DOCTEST_REPOSITORY", repository.toString()); // for a block that must run in it (Maven)
        Process process = pb.start();
        boolean done = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) {
            stop(process);
        }
        String printed = Files.readString(output, StandardCharsets.UTF_8);
        return new Result(done ? process.exitValue() : -1, printed, !done);
    }

    /** SIGTERM to the script and everything it started (servers flush and exit), then SIGKILL to what is left. */
    private static void stop(Process process) throws InterruptedException {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_GRACE_SECONDS);
        for (ProcessHandle p : all) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        all.forEach(ProcessHandle::destroyForcibly);
        process.waitFor(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
    }

    /** The last lines of a block's output, for a failure message. */
    static String tail(String output, int lines) {
        String[] all = output.split("\n", -1);
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.asList(all).subList(from, all.length));
    }
}
