package io.reloc.nbd.client;

import io.reloc.nbd.channel.BatchDecoder;
import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.RelocChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * A READ in flight. Data goes straight into the caller's buffer, and only from chunks that lie in
 * the requested range and overlap no earlier chunk; a reply that leaves part of the range
 * uncovered is a protocol error, so a read never returns bytes the server did not send.
 *
 * <p>With a {@link BatchDecoder} the request is Reloc's RELOC_READ and its data comes in batch
 * chunks, each decoded and checked before a byte of it reaches the caller's buffer; raw batches
 * are read into the caller's buffer and checked there, and one that fails fails the read.
 *
 * <p>If the caller stops waiting (interrupted), {@link #abandon()} makes the reader discard the
 * rest instead of writing into a buffer that is no longer the caller's.
 */
final class PendingRead extends PendingRequest {
    private final ByteBuffer dst;
    private final boolean structured;
    private final BatchDecoder decoder;
    /** Start to end of every range received so far. */
    private final TreeMap<Long, Long> covered = new TreeMap<>();
    private long coveredBytes;
    private boolean abandoned;

    /** @param dst exactly {@code length} bytes, position 0 */
    PendingRead(long offset, ByteBuffer dst, boolean structured) {
        super(NbdConstants.CMD_READ, 0, offset, dst.remaining());
        this.dst = dst;
        this.structured = structured;
        this.decoder = null;
    }

    /** A RELOC_READ, whose batches {@code decoder} checks. */
    PendingRead(long offset, ByteBuffer dst, BatchDecoder decoder) {
        super(NbdConstants.CMD_RELOC_READ, 0, offset, dst.remaining());
        this.dst = dst;
        this.structured = true;
        this.decoder = java.util.Objects.requireNonNull(decoder, "decoder is null");
    }

    synchronized void abandon() {
        abandoned = true;
    }

    @Override
    void onSimple(int errno, NbdTransport transport) throws IOException {
        if (errno != 0) {
            serverError(errno, "");
            return;
        }
        cover(offset, length);
        fill(0, (int) length, transport);
    }

    @Override
    void onChunk(ChunkHeader header, NbdTransport transport) throws IOException {
        if (!structured) {
            throw new NbdProtocolException("structured reply chunk without structured replies negotiated");
        }
        switch (header.type()) {
            case NbdConstants.CHUNK_OFFSET_DATA -> {
                long at = Chunks.decodeDataOffset(transport.read(8, "an OFFSET_DATA chunk"), header.length());
                long n = header.length() - 8;
                cover(at, n);
                fill((int) (at - offset), (int) n, transport);
            }
            case NbdConstants.CHUNK_OFFSET_HOLE -> {
                Chunks.Hole hole = Chunks.decodeHole(payload(header, transport));
                cover(hole.offset(), hole.size());
                zero((int) (hole.offset() - offset), (int) hole.size());
            }
            case NbdConstants.CHUNK_RELOC_BATCH -> {
                if (decoder == null) {
                    throw unexpected(header);
                }
                batch(header, transport);
            }
            case NbdConstants.CHUNK_NONE -> {
                if (header.length() != 0 || !header.done()) {
                    throw new NbdProtocolException("NONE chunk with " + header.length() + " bytes or without DONE");
                }
            }
            default -> {
                if (!onErrorChunk(header, transport)) {
                    throw unexpected(header);
                }
            }
        }
    }

    /**
     * Reads one batch. Sizes are checked before anything is allocated: the range must lie in the
     * request (so the decoded length is bounded by it) and the encoded bytes may not exceed the
     * decoded ones ({@link RelocChannel#decodeBatch}).
     */
    private void batch(ChunkHeader header, NbdTransport transport) throws IOException {
        RelocChannel.Batch batch = RelocChannel.decodeBatch(
                transport.read(RelocChannel.BATCH_HEADER_SIZE, "a RELOC batch header"), header.length());
        cover(batch.offset(), batch.decodedLength());
        int index = (int) (batch.offset() - offset);
        int n = (int) batch.decodedLength();
        if (batch.zero()) {
            decoder.stats().zero(n);
            zero(index, n);
            return;
        }
        int encodedLength = (int) (header.length() - RelocChannel.BATCH_HEADER_SIZE);
        if (batch.codecId() == RelocChannel.RAW) {
            raw(batch, index, n, encodedLength, transport);
            return;
        }
        ByteBuffer encoded = transport.read(encodedLength, "a RELOC batch");
        ByteBuffer decoded = decoder.decode(batch, encoded);
        put(index, decoded);
    }

    /**
     * A raw batch goes from the socket straight into the caller's buffer, with no buffer of its
     * own in between (on a fast link, where the server sends raw, that copy was much of the CPU
     * per byte). It is checked there: a batch that fails fails the whole read, so its bytes
     * never count as read.
     */
    private synchronized void raw(RelocChannel.Batch batch, int index, int n, int encodedLength, NbdTransport transport)
            throws IOException {
        decoder.checkRawLength(batch, encodedLength);
        if (abandoned) {
            transport.skip(n, "a RELOC batch");
            return;
        }
        ByteBuffer target = dst.slice(index, n);
        transport.readFully(target, "a RELOC batch");
        decoder.checkRaw(batch, target.flip());
    }

    private synchronized void put(int index, ByteBuffer decoded) {
        if (!abandoned) {
            dst.put(index, decoded, decoded.position(), decoded.remaining());
        }
    }

    @Override
    void finish() throws NbdProtocolException {
        if (!failed() && coveredBytes != length) {
            throw new NbdProtocolException("reply to " + what() + " covered only " + coveredBytes + " bytes");
        }
    }

    private void cover(long at, long n) throws NbdProtocolException {
        long end = at + n;
        if (at < offset || n > length || end > offset + length) {
            throw new NbdProtocolException("chunk of " + n + " bytes at " + at + " lies outside " + what());
        }
        Map.Entry<Long, Long> before = covered.floorEntry(at);
        Map.Entry<Long, Long> after = covered.ceilingEntry(at);
        if ((before != null && before.getValue() > at) || (after != null && after.getKey() < end)) {
            throw new NbdProtocolException("chunk of " + n + " bytes at " + at + " overlaps an earlier chunk of " + what());
        }
        covered.put(at, end);
        coveredBytes += n;
    }

    private synchronized void fill(int index, int n, NbdTransport transport) throws IOException {
        if (abandoned) {
            transport.skip(n, "read data");
            return;
        }
        transport.readFully(dst.slice(index, n), "read data");
    }

    private synchronized void zero(int index, int n) {
        if (!abandoned) {
            dst.put(index, new byte[n]);
        }
    }
}
