package io.reloc.bench;

import io.reloc.bench.wan.ChunkLog;
import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.wan.WanLink;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The breakdown finds each read's request and reply in the emulator's log and puts the time where
 * it went: a reply that queued behind a bulk transfer shows it in the link's queue, not elsewhere.
 */
class DemandBreakdownTest {
    private static final int REPLY = 4096;
    private static final int BULK = 256 * 1024;
    private static final long ONE_WAY = 5_000_000L;
    /** 4096 bytes at 100 Mbit/s. */
    private static final long SERIALISATION = REPLY * 8L * 1_000_000_000L / 100_000_000L;

    @Test
    void aReplyBehindABulkTransferWaitsInTheLinksQueue() throws Exception {
        LinkSettings settings = new LinkSettings(Duration.ofMillis(10), 100_000_000L, Duration.ZERO);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             WanLink link = WanLink.start(new InetSocketAddress("127.0.0.1", 0),
                     (InetSocketAddress) server.getLocalSocketAddress(), settings, 1)) {
            Thread.ofPlatform().daemon().start(() -> answer(server));
            ChunkLog chunks = new ChunkLog(2 * REPLY);
            link.logChunks(chunks);
            DemandBreakdown breakdown = new DemandBreakdown(chunks, settings.oneWayDelayNanos(), REPLY);
            try (Socket demand = connect(link); Socket bulk = connect(link)) {
                exchange(bulk, 1, REPLY); // the relay has reached the server for both connections
                long[] idleRead = exchange(demand, 2, REPLY); // the link is idle
                // 21 ms of data ahead of the next reply at the bottleneck.
                new DataOutputStream(bulk.getOutputStream()).writeInt(-1);
                Thread.sleep(5);
                long[] readBehind = exchange(demand, 3, REPLY);
                breakdown.read(idleRead[0], idleRead[1]);
                breakdown.read(readBehind[0], readBehind[1]);
                new DataInputStream(bulk.getInputStream()).readFully(new byte[BULK]);
            }
            List<long[]> splits = breakdown.splits();
            assertEquals(2, splits.size(), "both reads found in the log: " + chunks.entries());
            long[] idle = splits.get(0);
            long[] behind = splits.get(1);
            System.out.println("idle " + Arrays.toString(idle) + ", behind the bulk " + Arrays.toString(behind));
            for (long[] split : splits) {
                long parts = Arrays.stream(split, 1, split.length).sum();
                assertEquals(split[0] - 2 * ONE_WAY, parts, "the parts and the delays make the whole read");
                assertTrue(split[5] >= SERIALISATION, "the reply's own serialisation is in the link's part: " + split[5]);
                assertTrue(split[3] >= 0 && split[6] >= 0, "the relay never delivers early");
            }
            assertTrue(behind[5] >= 10_000_000L, "the reply waited behind most of 21 ms of bulk data: " + behind[5]);
            assertTrue(behind[5] > idle[5] + 9_000_000L, "the queue is where the second read lost its time");
            List<String> table = breakdown.table("on the idle link");
            assertEquals("| part of a demand read on the idle link (2 of 2 reads matched) | p50 | p90 | p99 "
                    + "| mean of the slowest 1% | mean of the reads at p98–p99.5 |", table.get(0));
            assertEquals(2 + 8, table.size(), "a header, a rule and a row per part: " + table);
        }
    }

    @Test
    void aReplyIsFoundAmongBackgroundChunksOfItsOwnSize() {
        // A log as a source pacing the background lane makes it: a reply-sized chunk every 0.33 ms
        // on connection 2, before, during and after the demand read's exchange on connection 1.
        ChunkLog chunks = new ChunkLog(2 * REPLY);
        long ms = 1_000_000L;
        for (long at = 0; at < 40 * ms; at += 330_000) {
            chunks.add(2, false, REPLY, at, at + ONE_WAY + SERIALISATION, at + ONE_WAY + SERIALISATION + 50_000);
        }
        long start = 10 * ms;
        chunks.add(1, true, 28, start + 100_000, start + 100_000 + ONE_WAY, start + 200_000 + ONE_WAY);
        long answered = start + 400_000 + ONE_WAY;
        chunks.add(1, false, REPLY + 37, answered, answered + ONE_WAY + SERIALISATION + 150_000,
                answered + ONE_WAY + SERIALISATION + 250_000);
        long end = answered + ONE_WAY + SERIALISATION + 250_000 + 3 * ms; // a reader slow to take its reply
        DemandBreakdown breakdown = new DemandBreakdown(chunks, ONE_WAY, REPLY);
        breakdown.read(start, end);

        List<long[]> splits = breakdown.splits();
        assertEquals(1, splits.size(), "the read is found among the background's chunks");
        assertEquals(List.of(end - start, 100_000L, 0L, 100_000L, 200_000L, SERIALISATION + 150_000, 100_000L, 3 * ms),
                Arrays.stream(splits.get(0)).boxed().toList(), "the demand connection's request and reply, not a background chunk");
    }

    @Test
    void theBandAroundTheP99AveragesTheReadsThatSetIt() {
        // 1000 reads of 1..1000 ms whole, part 1 ten times the whole: p98..p99.5 is reads 981..995.
        List<long[]> sorted = java.util.stream.LongStream.rangeClosed(1, 1000).mapToObj(t -> new long[] {t, 10 * t}).toList();
        assertEquals(988.0, DemandBreakdown.meanOfBand(sorted, 0.98, 0.995, 0), 1e-9);
        assertEquals(9880.0, DemandBreakdown.meanOfBand(sorted, 0.98, 0.995, 1), 1e-9);
        assertEquals(995.5, DemandBreakdown.meanOfBand(sorted, 0.99, 1, 0), 1e-9, "the slowest 1%: reads 991..1000");
        assertEquals(2.0, DemandBreakdown.meanOfBand(sorted.subList(0, 2), 0.99, 1, 0), 1e-9, "too few reads: the slowest one");
    }

    private static Socket connect(WanLink link) throws IOException {
        Socket socket = new Socket(link.address().getAddress(), link.address().getPort());
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** When the exchange began and ended. */
    private static long[] exchange(Socket socket, int request, int bytes) throws IOException {
        long start = System.nanoTime();
        new DataOutputStream(socket.getOutputStream()).writeInt(request);
        new DataInputStream(socket.getInputStream()).readFully(new byte[bytes]);
        return new long[] {start, System.nanoTime()};
    }

    /** Answers a positive request with {@value #REPLY} bytes, -1 with {@value #BULK}, on every connection. */
    private static void answer(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofPlatform().daemon().start(() -> {
                    try (socket) {
                        DataInputStream in = new DataInputStream(socket.getInputStream());
                        while (true) {
                            socket.getOutputStream().write(new byte[in.readInt() < 0 ? BULK : REPLY]);
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
}
