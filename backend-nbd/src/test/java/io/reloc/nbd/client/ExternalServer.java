package io.reloc.nbd.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An NBD server program (nbdkit, qemu-nbd) run for an interop test on a loopback port, waited for
 * until it accepts connections, and killed by {@link #close()}.
 */
final class ExternalServer implements AutoCloseable {
    private final List<String> command;
    private final Path log;
    final int port;
    private Process process;

    private ExternalServer(List<String> command, int port, Path log) {
        this.command = List.copyOf(command);
        this.port = port;
        this.log = log;
    }

    /** A port that was free a moment ago (the OS picks it). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static ExternalServer nbdkit(int port, Path log, String... pluginArgs) throws IOException {
        List<String> c = new ArrayList<>(List.of("nbdkit", "-f", "-i", "127.0.0.1", "-p", Integer.toString(port)));
        c.addAll(List.of(pluginArgs));
        return new ExternalServer(c, port, log).start();
    }

    static ExternalServer qemuNbd(int port, Path log, String name, Path file) throws IOException {
        return new ExternalServer(List.of("qemu-nbd", "-f", "raw", "-b", "127.0.0.1", "-p", Integer.toString(port),
                "-x", name, "-t", "-e", "8", file.toString()), port, log).start();
    }

    /** Starts (or restarts) the program and waits until its port accepts connections. */
    ExternalServer start() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return this;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    close();
                    throw new IOException(String.join(" ", command) + " did not start listening; see " + log, e);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw new IOException(x);
                }
            }
        }
    }

    /** Kills the program (SIGKILL: a crash, no goodbye) and waits for it to exit. */
    void kill() throws IOException {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        kill();
    }
}
