package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.protocol.RelocChannel.Batch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static java.util.Objects.requireNonNull;

/**
 * Turns the bytes of one RELOC_READ into batch chunks: runs of all-zero blocks become zero markers,
 * other runs are cut into batches of at most {@link #MAX_BATCH} bytes and encoded with the
 * negotiated codec, or sent raw when the codec does not shrink them (random data). Thread safe.
 */
public final class BatchEncoder {
    /** Granularity of zero detection. */
    public static final int BLOCK = 4096;
    /** Largest batch: big enough for good ratios, small enough to pipeline. */
    public static final int MAX_BATCH = 1 << 20;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(BLOCK).asReadOnlyBuffer();

    /** Receives each whole chunk, in order; the last carries DONE. */
    @FunctionalInterface
    public interface Sink {
        void send(ByteBuffer chunk) throws IOException;
    }

    private final TransferCodec codec;
    private final int codecId;
    private final AdaptiveChoice choice;

    /** @param codecId the codec's id on this connection (1 + its index in the client's offer) */
    public BatchEncoder(TransferCodec codec, int codecId) {
        this(codec, codecId, null);
    }

    /**
     * @param choice decides per batch whether to encode at all (the connection feeds it the link
     *     rate), or null to always try the codec
     */
    public BatchEncoder(TransferCodec codec, int codecId, AdaptiveChoice choice) {
        this.choice = choice;
        this.codec = requireNonNull(codec, "codec is null");
        if (codecId < 1 || codecId > RelocChannel.MAX_OFFER) {
            throw new IllegalArgumentException("codec id out of range: " + codecId);
        }
        this.codecId = codecId;
    }

    public TransferCodec codec() {
        return codec;
    }

    /** The per-batch choice, or null when the codec is always tried. */
    public AdaptiveChoice choice() {
        return choice;
    }

    /** Encodes {@code data} (position to limit, not consumed) read at {@code offset}. */
    public void encode(ByteBuffer data, long offset, long cookie, Sink sink) throws IOException {
        ByteBuffer d = data.slice();
        List<int[]> runs = runs(d);
        for (int i = 0; i < runs.size(); i++) {
            int start = runs.get(i)[0];
            int length = runs.get(i)[1];
            int flags = i == runs.size() - 1 ? NbdConstants.REPLY_FLAG_DONE : 0;
            ByteBuffer chunk;
            if (runs.get(i)[2] == 1) {
                chunk = ByteBuffer.allocate(RelocChannel.batchSize(0));
                RelocChannel.encodeBatch(chunk, flags, cookie, new Batch(offset + start, length, 0, RelocChannel.ZERO),
                        ByteBuffer.allocate(0));
            } else {
                ByteBuffer raw = d.slice(start, length);
                CRC32C crc = new CRC32C();
                crc.update(raw.duplicate());
                ByteBuffer encoded = raw;
                int id = codecId;
                if (choice == null || choice.encodeNext()) {
                    long started = System.nanoTime();
                    encoded = codec.encode(raw.duplicate());
                    if (choice != null) {
                        choice.encoded(length, encoded.remaining(), System.nanoTime() - started);
                    }
                }
                if (encoded.remaining() >= length) {
                    encoded = raw;
                    id = RelocChannel.RAW;
                }
                chunk = ByteBuffer.allocate(RelocChannel.batchSize(encoded.remaining()));
                RelocChannel.encodeBatch(chunk, flags, cookie, new Batch(offset + start, length, (int) crc.getValue(), id),
                        encoded);
            }
            sink.send(chunk.flip());
        }
    }

    /** {start, length, zero ? 1 : 0} for each run, in order; at least one for non-empty data. */
    static List<int[]> runs(ByteBuffer d) {
        List<int[]> runs = new ArrayList<>();
        int runStart = 0;
        int runZero = -1;
        for (int at = 0; at < d.limit(); at += BLOCK) {
            int n = Math.min(BLOCK, d.limit() - at);
            int zero = d.slice(at, n).mismatch(ZEROES.slice(0, n)) == -1 ? 1 : 0;
            boolean full = zero == 0 && at - runStart >= MAX_BATCH;
            if (runZero != -1 && (zero != runZero || full)) {
                runs.add(new int[] {runStart, at - runStart, runZero});
                runStart = at;
            }
            runZero = zero;
        }
        if (runZero != -1) {
            runs.add(new int[] {runStart, d.limit() - runStart, runZero});
        }
        return runs;
    }
}
