package io.reloc.iscsi.pdu;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.zip.CRC32C;

import static java.util.Objects.requireNonNull;

/**
 * Reads PDUs from a blocking channel in two steps, header first, so that the caller decides where
 * the data segment goes: write data can land straight in the (direct) buffer of its command, with
 * no copy on the heap and no garbage, while other PDUs get their data as a byte array. Input is
 * buffered in a direct buffer of its own, so small PDUs that arrive together cost one system call;
 * large data segments are read from the channel into their destination directly.
 *
 * <p>After {@link #readHeader} returns a PDU, exactly one of {@link #readData()},
 * {@link #readData(ByteBuffer)} or {@link #skipData()} must consume its data segment. Digest
 * settings change when login completes, hence the setters. Confined to one reader thread.
 */
public final class PduReader {
    private final ReadableByteChannel channel;
    /** Read mode: the bytes from position to limit arrived and are not consumed yet. */
    private final ByteBuffer input;
    private final byte[] scratch = new byte[4];
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxRecvDataSegmentLength;
    /** The PDU whose data segment is still to be consumed, or null. */
    private Pdu current;

    /**
     * @param bufferSize bytes read ahead at most (at least a header with its digest, 52)
     * @param maxRecvDataSegmentLength longest data segment accepted from the peer
     */
    public PduReader(ReadableByteChannel channel, int bufferSize, int maxRecvDataSegmentLength) {
        this.channel = requireNonNull(channel, "channel is null");
        if (bufferSize < Pdu.BHS_LENGTH + 4) {
            throw new IllegalArgumentException("the read buffer must hold a header with its digest: " + bufferSize);
        }
        this.input = ByteBuffer.allocateDirect(bufferSize).flip();
        this.maxRecvDataSegmentLength = maxRecvDataSegmentLength;
    }

    public void digests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    public void maxRecvDataSegmentLength(int length) {
        this.maxRecvDataSegmentLength = length;
    }

    /**
     * Reads the next PDU's header (BHS, AHS, header digest). Its data segment is not read: the PDU
     * has empty data and {@link Pdu#dataSegmentLength()} tells how long the segment is.
     *
     * @return the PDU, or null at a clean end of stream before its first byte
     * @throws PduException on a header digest mismatch or a data segment longer than allowed
     * @throws EOFException if the stream ends inside the header
     * @throws IllegalStateException if the previous PDU's data was not consumed
     */
    public Pdu readHeader() throws IOException {
        if (current != null) {
            throw new IllegalStateException("the data segment of the previous PDU was not consumed");
        }
        if (!input.hasRemaining() && !fill()) {
            return null;
        }
        byte[] bhs = new byte[Pdu.BHS_LENGTH];
        readFully(bhs);
        Pdu header = Pdu.of(bhs, new byte[0], new byte[0]);
        byte[] ahs = new byte[header.ahsLength()];
        readFully(ahs);
        header = Pdu.of(bhs, ahs, new byte[0]);
        if (headerDigest) {
            readFully(scratch);
            int expected = Digests.headerDigest(bhs, ahs);
            int got = Digests.getLittleEndian(scratch, 0);
            if (expected != got) {
                throw new PduException(PduException.Kind.HEADER_DIGEST, String.format(
                        "header digest mismatch: computed 0x%08x, received 0x%08x", expected, got), header);
            }
        }
        int length = header.dataSegmentLength();
        if (length > maxRecvDataSegmentLength) {
            throw new PduException(PduException.Kind.MALFORMED, "data segment of " + length
                    + " bytes exceeds MaxRecvDataSegmentLength " + maxRecvDataSegmentLength, header);
        }
        current = header;
        return header;
    }

    /** Reads the current PDU's data segment into a new array, sets it as the PDU's data and returns it. */
    public byte[] readData() throws IOException {
        Pdu pdu = requireCurrent();
        byte[] data = new byte[pdu.dataSegmentLength()];
        readFully(data);
        current = null;
        pdu.data(data);
        finishData(pdu, ByteBuffer.wrap(data));
        return data;
    }

    /**
     * Reads the current PDU's data segment into {@code dst}, whose remaining space must be exactly
     * the segment's length; its position moves past the data.
     */
    public void readData(ByteBuffer dst) throws IOException {
        Pdu pdu = requireCurrent();
        int length = pdu.dataSegmentLength();
        if (dst.remaining() != length) {
            throw new IllegalArgumentException("the destination has room for " + dst.remaining()
                    + " bytes, the data segment has " + length);
        }
        current = null;
        int start = dst.position();
        int buffered = Math.min(input.remaining(), length);
        if (buffered > 0) {
            ByteBuffer slice = input.slice(input.position(), buffered);
            dst.put(slice);
            input.position(input.position() + buffered);
        }
        while (dst.hasRemaining()) {
            if (channel.read(dst) < 0) {
                throw new EOFException("connection closed inside a PDU (" + dst.remaining() + " bytes missing)");
            }
        }
        finishData(pdu, dst.duplicate().position(start).limit(start + length));
    }

    /** Reads and drops the current PDU's data segment (its digest is not checked). */
    public void skipData() throws IOException {
        Pdu pdu = requireCurrent();
        current = null;
        int pad = PduCodec.padding(pdu.dataSegmentLength());
        long left = (long) pdu.dataSegmentLength() + pad + (dataDigest && pdu.dataSegmentLength() > 0 ? 4 : 0);
        while (left > 0) {
            if (!input.hasRemaining() && !fill()) {
                throw new EOFException("connection closed inside a PDU (" + left + " bytes missing)");
            }
            int n = (int) Math.min(left, input.remaining());
            input.position(input.position() + n);
            left -= n;
        }
    }

    private Pdu requireCurrent() {
        if (current == null) {
            throw new IllegalStateException("no PDU header was read whose data segment is pending");
        }
        return current;
    }

    /** Consumes the padding and checks the data digest of {@code data}, the segment just read. */
    private void finishData(Pdu pdu, ByteBuffer data) throws IOException {
        int length = data.remaining();
        int pad = PduCodec.padding(length);
        readFully(scratch, pad);
        if (dataDigest && length > 0) {
            CRC32C crc = new CRC32C();
            crc.update(data);
            crc.update(new byte[pad], 0, pad);
            int expected = (int) crc.getValue();
            readFully(scratch, 4);
            int got = Digests.getLittleEndian(scratch, 0);
            if (expected != got) {
                throw new PduException(PduException.Kind.DATA_DIGEST, String.format(
                        "data digest mismatch: computed 0x%08x, received 0x%08x", expected, got), pdu);
            }
        }
    }

    private void readFully(byte[] b) throws IOException {
        readFully(b, b.length);
    }

    private void readFully(byte[] b, int length) throws IOException {
        int done = 0;
        while (done < length) {
            if (!input.hasRemaining() && !fill()) {
                throw new EOFException("connection closed inside a PDU (" + (length - done) + " bytes missing)");
            }
            int n = Math.min(length - done, input.remaining());
            input.get(b, done, n);
            done += n;
        }
    }

    /** Reads what the channel has into the empty input buffer; false at end of stream. */
    private boolean fill() throws IOException {
        input.clear();
        int n;
        do {
            n = channel.read(input);
        } while (n == 0);
        input.flip();
        return n > 0;
    }
}
