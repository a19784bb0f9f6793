package io.reloc.nbd.interop;

import io.reloc.api.BlockSizes;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * The reference server: {@code nbdkit -f -i 127.0.0.1 -p PORT file PATH}. Several exports are
 * served from a directory of links named after the exports ({@code file dir=}), with descriptions
 * from the exportname filter. nbdkit makes a whole server read-only or not, so exports of one
 * target must agree on that.
 */
final class NbdkitTarget implements NbdTarget {
    private static final long READY_TIMEOUT_MILLIS = 10_000;

    private final Path workDir;
    private Process process;
    private int port;

    NbdkitTarget(Path workDir) {
        this.workDir = requireNonNull(workDir, "workDir is null");
    }

    @Override
    public void start(List<TargetExport> exports) throws IOException {
        Programs.require("nbdkit");
        if (exports.stream().map(TargetExport::readOnly).distinct().count() != 1) {
            throw new IllegalArgumentException("nbdkit serves all exports read-only or none: " + exports);
        }
        Files.createDirectories(workDir);
        // A port freed just before nbdkit binds it can be taken meanwhile: retry a few times.
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            port = freePort();
            try {
                process = launch(command(exports));
                awaitReady();
                return;
            } catch (IOException e) {
                last = e;
                close();
            }
        }
        throw last;
    }

    private List<String> command(List<TargetExport> exports) throws IOException {
        List<String> command = new ArrayList<>(List.of("nbdkit", "-f", "-i", "127.0.0.1", "-p", Integer.toString(port)));
        if (exports.getFirst().readOnly()) {
            command.add("-r");
        }
        if (exports.size() == 1 && exports.getFirst().description().isEmpty()) {
            command.addAll(List.of("file", exports.getFirst().file().toString()));
            return command;
        }
        Path dir = Files.createDirectories(workDir.resolve("exports"));
        StringBuilder script = new StringBuilder("#!/bin/sh\ncase \"$name\" in\n");
        for (TargetExport export : exports) {
            Path link = dir.resolve(export.name());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, export.file().toAbsolutePath());
            if (!export.description().isEmpty()) {
                script.append("  '").append(export.name()).append("') printf '%s' '")
                        .append(export.description().replace("'", "'\\''")).append("' ;;\n");
            }
        }
        script.append("esac\n");
        Path describe = workDir.resolve("describe.sh");
        Files.writeString(describe, script);
        Files.setPosixFilePermissions(describe, PosixFilePermissions.fromString("rwx------"));
        command.addAll(List.of("--filter=exportname", "file", "dir=" + dir, "exportdesc=script:" + describe));
        return command;
    }

    private Process launch(List<String> command) throws IOException {
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("nbdkit.log").toFile()))
                .start();
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("nbdkit exited with " + process.exitValue() + "; see " + workDir.resolve("nbdkit.log")
                        + ":\n" + Files.readString(workDir.resolve("nbdkit.log")));
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                sleep();
            }
        }
        throw new IOException("nbdkit did not listen on port " + port + " within " + READY_TIMEOUT_MILLIS + " ms");
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for nbdkit", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public Optional<BlockSizes> expectedBlockSizes() {
        // nbdkit 1.32's file plugin does not send NBD_INFO_BLOCK_SIZE.
        return Optional.empty();
    }

    @Override
    public void close() throws IOException {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }
}
