package io.reloc.nbd.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code qemu-io} session that stays connected between commands, so that a test can order
 * commands across several connections. qemu-io reads one command per line and prints its prompt
 * when the command has completed; a command's output is what comes before the next prompt.
 */
final class InteractiveQemuIo implements AutoCloseable {
    private static final String PROMPT = "qemu-io> ";

    private final Process process;
    private final InputStream out;
    private final OutputStream in;
    private final List<String> command;

    InteractiveQemuIo(List<String> command) throws IOException {
        this.command = List.copyOf(command);
        this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
        this.out = process.getInputStream();
        this.in = process.getOutputStream();
        String banner = untilPrompt();
        if (!banner.isEmpty()) {
            throw new IOException("qemu-io did not open the device: " + banner);
        }
    }

    /** Runs one command and returns what it printed once it completed. */
    String execute(String qemuIoCommand) throws IOException {
        in.write((qemuIoCommand + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        return untilPrompt();
    }

    private String untilPrompt() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] prompt = PROMPT.getBytes(StandardCharsets.UTF_8);
        while (true) {
            int b = out.read();
            if (b < 0) {
                throw new IOException(String.join(" ", command) + " ended unexpectedly; it printed: "
                        + buffer.toString(StandardCharsets.UTF_8));
            }
            buffer.write(b);
            byte[] sofar = buffer.toByteArray();
            if (sofar.length >= prompt.length && endsWith(sofar, prompt)) {
                return new String(sofar, 0, sofar.length - prompt.length, StandardCharsets.UTF_8);
            }
        }
    }

    private static boolean endsWith(byte[] data, byte[] suffix) {
        for (int i = 0; i < suffix.length; i++) {
            if (data[data.length - suffix.length + i] != suffix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Quits qemu-io and returns its exit code. */
    int quit() throws IOException, InterruptedException {
        in.write("quit\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        in.close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IOException("qemu-io did not quit within 30 s");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
