package io.reloc.bench.wan;

import io.reloc.core.priority.RealTimePriority;
import io.reloc.core.priority.RealTimeThreads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The emulator imposes what it is told. Its accuracy bounds are asserted one-sided where a busy
 * machine cannot help it (the link is never faster or shorter than configured) and loosely the
 * other way; the measured figures are printed for the record.
 */
class WanLinkTest {
    private ServerSocket echo;
    private WanLink link;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    s.setTcpNoDelay(true);
                    Thread.ofPlatform().daemon().start(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // peer went away
                        }
                    });
                } catch (IOException ignored) {
                    // closed
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        if (link != null) {
            link.close();
        }
        echo.close();
    }

    private WanLink link(String rtt, String rate) throws IOException {
        return WanLink.start(new InetSocketAddress("127.0.0.1", 0), (InetSocketAddress) echo.getLocalSocketAddress(),
                new LinkSettings(LinkSettings.parseDuration(rtt), LinkSettings.parseRate(rate), Duration.ZERO), 1);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(link.address());
        return socket;
    }

    @Test
    void roundTripTimeIsTheConfiguredOne() throws IOException {
        link = link("40ms", "0");
        try (Socket socket = connect()) {
            byte[] ping = new byte[64];
            DataInputStream in = new DataInputStream(socket.getInputStream());
            socket.getOutputStream().write(ping);
            in.readFully(new byte[64]); // warm-up
            int rounds = 25;
            long start = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                socket.getOutputStream().write(ping);
                in.readFully(new byte[64]);
            }
            double rttMillis = (System.nanoTime() - start) / 1e6 / rounds;
            System.out.printf("configured RTT 40 ms, measured %.2f ms%n", rttMillis);
            assertTrue(rttMillis >= 40 * 0.99, "RTT shorter than configured: " + rttMillis);
            assertTrue(rttMillis <= 40 * 1.25, "RTT far longer than configured: " + rttMillis);
        }
    }

    /**
     * At 1 Gbit/s the link's chunks are larger (the same link time as 16 KiB at 100 Mbit/s); the
     * rate must hold there too. Its floor is lower: on two busy cores the echo's own threads may
     * not keep up with a gigabit, and the bound that matters is the ceiling.
     */
    @ParameterizedTest
    @CsvSource({"100mbit, 0.80", "1gbit, 0.50"})
    void throughputIsTheConfiguredRateAndDataIsIntact(String rate, double floor) throws Exception {
        link = link("10ms", rate);
        double configured = LinkSettings.parseRate(rate) / 1e6;
        int size = (int) (configured * 1e6 / 8); // 1 s at the rate
        byte[] data = new byte[size];
        new java.util.Random(9).nextBytes(data);
        try (Socket socket = connect()) {
            byte[] back = new byte[size];
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    new DataInputStream(socket.getInputStream()).readFully(back);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            long start = System.nanoTime();
            socket.getOutputStream().write(data);
            reader.join();
            double seconds = (System.nanoTime() - start) / 1e9;
            // Up and down both cross a 100 Mbit/s link; they overlap, so the time is one transfer
            // plus the round trip.
            double mbit = size * 8 / 1e6 / (seconds - 0.010);
            System.out.printf("configured %.0f Mbit/s, measured %.1f Mbit/s%n", configured, mbit);
            assertArrayEquals(data, back);
            assertTrue(mbit <= configured * 1.03, "faster than the link allows: " + mbit);
            assertTrue(mbit >= configured * floor, "far slower than the link: " + mbit);
            assertEquals(size, link.bytesUpstream());
        }
    }

    @Test
    void aCutLinkResetsConnectionsAndRefusesNewOnesUntilRestored() throws Exception {
        link = link("2ms", "0");
        Socket socket = connect();
        link.cut();
        assertThrows(IOException.class, () -> {
            for (int i = 0; i < 100; i++) {
                socket.getOutputStream().write(new byte[1024]);
                if (socket.getInputStream().read() < 0) {
                    throw new IOException("closed");
                }
            }
        });
        try (Socket refused = connect()) {
            assertEquals(-1, refused.getInputStream().read(), "a cut link must not carry a new connection");
        }
        link.restore();
        try (Socket again = connect()) {
            again.getOutputStream().write(new byte[] {7});
            assertEquals(7, again.getInputStream().read());
        }
        socket.close();
    }

    @ParameterizedTest
    @CsvSource({"true", "false"})
    void relayThreadsRunAtRealTimePriorityWhenAllowedAndAsked(boolean asked) throws Exception {
        link = link("2ms", "0");
        link.realTimeRelay(asked);
        assertEquals("none yet", link.relayPriority());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(1);
            assertEquals(1, socket.getInputStream().read(), "the relay carries the byte");
            String priority = link.relayPriority();
            System.out.println("relay priority, asked " + asked + ": " + priority);
            boolean raised = asked && hostAllowsRealTime();
            assertEquals(raised ? "real-time" : "normal", priority);
            int expected = raised ? RealTimePriority.SCHED_FIFO : RealTimePriority.SCHED_OTHER;
            // Relay threads of the links of earlier tests end soon after those links close.
            Map<String, Integer> relays = relayThreadPolicies();
            for (long giveUp = System.nanoTime() + 5_000_000_000L; relays.size() != 4 && System.nanoTime() < giveUp; ) {
                Thread.sleep(20);
                relays = relayThreadPolicies();
            }
            assertEquals(4, relays.size(), "a reader and a writer each way: " + relays);
            for (var relay : relays.entrySet()) {
                assertEquals(expected, relay.getValue(), relay.getKey());
            }
        }
    }

    /** Whether a thread of this process may enter the real-time class (root or CAP_SYS_NICE). */
    private static boolean hostAllowsRealTime() throws InterruptedException {
        AtomicReference<String> refused = new AtomicReference<>();
        Thread.ofPlatform().start(() -> refused.set(RealTimePriority.raiseCurrentThread())).join();
        return refused.get() == null;
    }

    /** The scheduling policy of each relay thread of the process, by thread id and name. */
    private static Map<String, Integer> relayThreadPolicies() throws IOException {
        Map<String, Integer> policies = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    if (name.startsWith("wan-up-") || name.startsWith("wan-down-")) {
                        policies.put(task.getFileName() + " " + name, RealTimeThreads.policy(task));
                    }
                } catch (IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return policies;
    }

    @Test
    void ratesAndDurationsParse() {
        assertEquals(100_000_000L, LinkSettings.parseRate("100mbit"));
        assertEquals(1_000_000_000L, LinkSettings.parseRate("1gbit"));
        assertEquals(100_000_000L, LinkSettings.parseRate("12.5MB"));
        assertEquals(Duration.ofMillis(40), LinkSettings.parseDuration("40ms"));
        assertEquals(Duration.ofSeconds(2), LinkSettings.parseDuration("2s"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinkSettings.parseRate("fast"));
        assertTrue(e.getMessage().contains("fast"));
        assertTrue(Arrays.asList(assertThrows(IllegalArgumentException.class, () -> LinkSettings.parseDuration("40")).getMessage())
                .get(0).contains("40ms"));
    }
}
