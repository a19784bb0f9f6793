package io.reloc.nbd.channel;

import io.reloc.api.BlockDevice;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A sample of an export's data for the codecs' first trials: pieces read at evenly spread offsets,
 * those of zeros left out (the channel sends zeros as markers, never through a codec), so that the
 * ratios measured on it resemble those of the batches to come.
 */
final class ExportSample {
    static final int PIECE = 16 << 10;
    static final int PLACES = 64;

    private ExportSample() {}

    /** Up to {@code bytes} of the export's non-zero data, flipped; empty when none was found. */
    static ByteBuffer read(BlockDevice export, int bytes) throws IOException {
        ByteBuffer sample = ByteBuffer.allocate(bytes);
        long size = export.size();
        long previous = -1;
        for (int i = 0; i < PLACES && sample.hasRemaining(); i++) {
            long offset = size / PLACES * i / BatchEncoder.BLOCK * BatchEncoder.BLOCK;
            int length = (int) Math.min(Math.min(PIECE, sample.remaining()), size - offset);
            if (offset == previous || length <= 0) {
                continue;
            }
            previous = offset;
            ByteBuffer piece = ByteBuffer.allocate(length);
            export.read(offset, piece);
            piece.flip();
            if (!allZero(piece)) {
                sample.put(piece);
            }
        }
        return sample.flip();
    }

    private static boolean allZero(ByteBuffer piece) {
        for (int at = piece.position(); at < piece.limit(); at += BatchEncoder.BLOCK) {
            if (!BatchEncoder.zeroBlock(piece, at, Math.min(BatchEncoder.BLOCK, piece.limit() - at))) {
                return false;
            }
        }
        return true;
    }
}
