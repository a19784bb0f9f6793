package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.protocol.RelocChannel.Batch;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Decodes and checks batches on the client: the codec id must be one the client offered, the
 * decoded bytes must have the announced length and CRC-32C. Any mismatch is a
 * {@link NbdProtocolException}, so the batch is refused and the connection dropped; bytes that
 * fail a check are never handed out. Counts what it decoded. Thread safe.
 */
public final class BatchDecoder {
    private final List<TransferCodec> offer;
    private final ChannelStats stats;

    /** @param offer the codecs the client offered, in offer order (id 1 is the first) */
    public BatchDecoder(List<TransferCodec> offer, ChannelStats stats) {
        this.offer = List.copyOf(offer);
        this.stats = java.util.Objects.requireNonNull(stats, "stats is null");
    }

    public ChannelStats stats() {
        return stats;
    }

    /**
     * Checks that a raw batch announces as many bytes as it carries, before they are read.
     *
     * @param encodedLength the bytes the batch carries after its header
     */
    public void checkRawLength(Batch batch, int encodedLength) throws NbdProtocolException {
        if (batch.codecId() != RelocChannel.RAW || encodedLength != batch.decodedLength()) {
            throw new NbdProtocolException("raw RELOC batch at " + batch.offset() + " carries " + encodedLength
                    + " bytes, not " + batch.decodedLength());
        }
    }

    /**
     * Checks a raw batch read in place ({@code data}, position to limit, not consumed): its
     * length and CRC-32C. The caller must not hand the bytes out if this throws.
     */
    public void checkRaw(Batch batch, ByteBuffer data) throws NbdProtocolException {
        checkRawLength(batch, data.remaining());
        check(batch, data);
        stats.data(false, data.remaining(), data.remaining());
    }

    /**
     * The decoded bytes of a data batch ({@code batch} not a zero run), flipped.
     *
     * @param encoded exactly the batch's encoded bytes
     */
    public ByteBuffer decode(Batch batch, ByteBuffer encoded) throws NbdProtocolException {
        int length = (int) batch.decodedLength();
        int encodedLength = encoded.remaining();
        ByteBuffer decoded;
        if (batch.codecId() == RelocChannel.RAW) {
            decoded = encoded;
        } else {
            int index = batch.codecId() - 1;
            if (index < 0 || index >= offer.size()) {
                throw new NbdProtocolException("RELOC batch at " + batch.offset() + " uses codec id " + batch.codecId()
                        + ", which was not offered");
            }
            TransferCodec codec = offer.get(index);
            try {
                decoded = codec.decode(encoded, length);
            } catch (IllegalArgumentException e) {
                throw new NbdProtocolException("corrupt " + codec.name() + " batch at " + batch.offset() + ": "
                        + e.getMessage());
            }
        }
        if (decoded.remaining() != length) {
            throw new NbdProtocolException("RELOC batch at " + batch.offset() + " decodes to " + decoded.remaining()
                    + " bytes, not " + length);
        }
        check(batch, decoded);
        stats.data(batch.codecId() != RelocChannel.RAW, length, encodedLength);
        return decoded;
    }

    private static void check(Batch batch, ByteBuffer decoded) throws NbdProtocolException {
        CRC32C crc = new CRC32C();
        crc.update(decoded.duplicate());
        if ((int) crc.getValue() != batch.crc32c()) {
            throw new NbdProtocolException("RELOC batch of " + decoded.remaining() + " bytes at " + batch.offset()
                    + " fails its checksum (CRC-32C " + Integer.toHexString((int) crc.getValue()) + ", announced "
                    + Integer.toHexString(batch.crc32c()) + ")");
        }
    }
}
