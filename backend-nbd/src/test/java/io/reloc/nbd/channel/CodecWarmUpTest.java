package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import io.reloc.core.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The codecs' first trials on a sample of the export, before any batch needs them. */
class CodecWarmUpTest {
    private static final List<String> NAMES = List.of("zstd", "lz4", "deflate");
    private static final int SIZE = 16 << 20;

    /** An export of zeros with random data in {@code pieces} places. */
    private static MemoryBlockStore export(long seed, int pieces) throws IOException {
        MemoryBlockStore store = new MemoryBlockStore(SIZE, false);
        Random random = new Random(seed);
        for (int i = 0; i < pieces; i++) {
            byte[] data = new byte[ExportSample.PIECE];
            random.nextBytes(data);
            store.write((long) SIZE / pieces * i, ByteBuffer.wrap(data), false);
        }
        return store;
    }

    @Test
    void theSampleHoldsTheExportsDataNotItsZeros() throws IOException {
        long seed = System.nanoTime();
        System.out.println("theSampleHoldsTheExportsDataNotItsZeros seed " + seed);
        ByteBuffer sample = ExportSample.read(export(seed, 4), BatchEncoder.TRIAL_BYTES);
        assertEquals(4 * ExportSample.PIECE, sample.remaining(), "four pieces of data, the zeros between them left out");
        for (int i = 0; i < sample.remaining(); i += ExportSample.PIECE) {
            ByteBuffer piece = sample.slice(i, ExportSample.PIECE);
            boolean data = false;
            while (piece.hasRemaining() && !data) {
                data = piece.get() != 0;
            }
            assertTrue(data, "piece at " + i + " seed " + seed);
        }
        assertEquals(BatchEncoder.TRIAL_BYTES, ExportSample.read(export(seed, 64), BatchEncoder.TRIAL_BYTES).remaining(),
                "no more than asked");
        assertEquals(0, ExportSample.read(new MemoryBlockStore(SIZE, false), BatchEncoder.TRIAL_BYTES).remaining());
        assertEquals(0, ExportSample.read(new MemoryBlockStore(0, false), BatchEncoder.TRIAL_BYTES).remaining());
    }

    @Test
    void everyCodecIsMeasuredBeforeTheFirstBatchAndNoBatchTriesItFirst() throws Exception {
        List<Integer> inputs = new java.util.concurrent.CopyOnWriteArrayList<>();
        ChannelCodecs codecs = ChannelCodecs.standard();
        TransferCodec zstd = codecs.find("zstd").orElseThrow();
        TransferCodec lz4 = codecs.find("lz4").orElseThrow();
        TransferCodec counting = AdaptiveChoiceTest.lz4Named("counting", src -> inputs.add(src.remaining()));
        AdaptiveChoice choice = new AdaptiveChoice(List.of("zstd", "lz4", "counting"));
        BatchEncoder encoder = new BatchEncoder(List.of(new BatchEncoder.Candidate(zstd, 1), new BatchEncoder.Candidate(lz4, 2),
                new BatchEncoder.Candidate(counting, 3)), choice);
        encoder.warmUp(export(9, 4));
        for (int i = 0; i < 1000 && !choice.measured(2); i++) {
            Thread.sleep(10);
        }
        for (int i = 0; i < 3; i++) {
            assertTrue(choice.measured(i), "codec " + i + " measured on the sample: " + choice);
        }
        assertEquals(List.of(4 * ExportSample.PIECE, 4 * ExportSample.PIECE), inputs, "the sample, twice: cold, then measured");
        // A batch now finds every codec measured: none of them is tried on it first.
        byte[] batch = new byte[256 << 10];
        new Random(1).nextBytes(batch);
        choice.reported(2_000_000_000L);
        encoder.encode(ByteBuffer.wrap(batch), 0, 1, new ArrayList<ByteBuffer>()::add);
        assertEquals(2, inputs.size(), "no first trial on the batch: " + inputs);
        assertTrue(choice.allClaimed());
    }

    @Test
    void anExportOfZerosLeavesTheFirstTrialsToTheBatches() throws Exception {
        AdaptiveChoice choice = new AdaptiveChoice(NAMES);
        BatchEncoder encoder = new BatchEncoder(ChannelCodecs.standard().candidates(NAMES), choice);
        encoder.warmUp(new MemoryBlockStore(SIZE, false));
        // The warm-up runs on the trial thread: a trial queued after it runs after it.
        java.util.concurrent.CountDownLatch after = new java.util.concurrent.CountDownLatch(1);
        BatchEncoder.runOnTrialThread(after::countDown);
        assertTrue(after.await(10, java.util.concurrent.TimeUnit.SECONDS));
        assertFalse(choice.allClaimed(), "nothing was claimed");
        assertEquals(0, choice.trial(), "the first batch tries the first codec");
    }
}
