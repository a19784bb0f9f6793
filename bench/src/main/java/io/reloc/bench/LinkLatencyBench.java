package io.reloc.bench;

import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.wan.WanLink;
import io.reloc.bench.workload.Latencies;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Locale;

/**
 * The floor under every demand-read figure of the WAN bench: a bare request and reply (4 bytes
 * out, {@code --bytes} back) through the emulator, with no relocation, no NBD and no other
 * traffic, and the same exchange over plain loopback. What the link adds beyond its RTT and
 * the reply's serialisation is the emulator's and the machine's, not Reloc's: on a virtual
 * machine, a core that halted in the pause between requests can take milliseconds to run a
 * woken thread again, and each of the relay's hops may pay it. Usage:
 * {@code LinkLatencyBench RTT RATE [--bytes N] [--gap-ms N] [--rounds N]} (defaults 4096, 50,
 * 400; the gap is the pause between requests, as the WAN bench's reader pauses between reads).
 * Prints one markdown row per path.
 */
public final class LinkLatencyBench {
    private LinkLatencyBench() {}

    private record Options(int bytes, long gapMillis, int rounds) {}

    public static void main(String[] args) throws IOException, InterruptedException {
        run(args, System.out);
    }

    /** Measures as {@link #main} does and prints the table to {@code out}. */
    static void run(String[] args, PrintStream out) throws IOException, InterruptedException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: LinkLatencyBench RTT RATE [--bytes N] [--gap-ms N] [--rounds N]");
        }
        LinkSettings settings = new LinkSettings(LinkSettings.parseDuration(args[0]), LinkSettings.parseRate(args[1]), Duration.ZERO);
        Options options = options(args);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().name("link-latency-server").start(() -> answer(server, options.bytes()));
            InetSocketAddress direct = (InetSocketAddress) server.getLocalSocketAddress();
            Latencies plain = exchange(direct, options);
            Latencies emulated;
            try (WanLink link = WanLink.start(new InetSocketAddress("127.0.0.1", 0), direct, settings, 1)) {
                emulated = exchange(link.address(), options);
            }
            double serialisation = settings.bitsPerSecond() == 0 ? 0 : options.bytes() * 8e3 / settings.bitsPerSecond();
            out.println("| path | reply | gap | rounds | min | p50 | p90 | p99 | RTT + serialisation |");
            out.println("|---|---|---|---|---|---|---|---|---|");
            row(out, "loopback", plain, options, 0);
            row(out, "emulator, " + args[1] + ", " + args[0] + " RTT", emulated, options,
                    settings.rtt().toNanos() / 1e6 + serialisation);
        }
    }

    private static Options options(String[] args) {
        int bytes = 4096;
        long gap = 50;
        int rounds = 400;
        for (int i = 2; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--bytes" -> bytes = Integer.parseInt(args[i + 1]);
                case "--gap-ms" -> gap = Long.parseLong(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; there are --bytes, --gap-ms, --rounds");
            }
        }
        if ((args.length - 2) % 2 != 0) {
            throw new IllegalArgumentException("option " + args[args.length - 1] + " has no value");
        }
        if (bytes < 1) {
            throw new IllegalArgumentException("--bytes must be at least 1, not " + bytes);
        }
        if (gap < 0) {
            throw new IllegalArgumentException("--gap-ms must not be negative, not " + gap);
        }
        if (rounds < 10) {
            throw new IllegalArgumentException("--rounds must be at least 10 (the first tenth warms up), not " + rounds);
        }
        return new Options(bytes, gap, rounds);
    }

    /** Answers every 4-byte request on every connection with {@code bytes} bytes. */
    private static void answer(ServerSocket server, int bytes) {
        byte[] reply = new byte[bytes];
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofPlatform().daemon().start(() -> {
                    try (socket) {
                        socket.setTcpNoDelay(true);
                        DataInputStream in = new DataInputStream(socket.getInputStream());
                        while (true) {
                            in.readInt();
                            socket.getOutputStream().write(reply);
                        }
                    } catch (IOException e) {
                        // the client is done
                    }
                });
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** The latencies of {@code rounds} exchanges, the first tenth left out (warming up). */
    private static Latencies exchange(InetSocketAddress address, Options options) throws IOException, InterruptedException {
        Latencies latencies = new Latencies();
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] reply = new byte[options.bytes()];
            for (int i = 0; i < options.rounds(); i++) {
                Thread.sleep(options.gapMillis());
                long start = System.nanoTime();
                out.writeInt(i);
                in.readFully(reply);
                if (i >= options.rounds() / 10) {
                    latencies.add(System.nanoTime() - start);
                }
            }
        }
        return latencies;
    }

    private static void row(PrintStream out, String path, Latencies latencies, Options options, double floorMillis) {
        out.printf(Locale.ROOT, "| %s | %d B | %d ms | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %s |%n", path, options.bytes(),
                options.gapMillis(), latencies.count(), latencies.percentileMillis(0), latencies.percentileMillis(50),
                latencies.percentileMillis(90), latencies.percentileMillis(99),
                floorMillis == 0 ? "–" : String.format(Locale.ROOT, "%.2f ms", floorMillis));
    }
}
