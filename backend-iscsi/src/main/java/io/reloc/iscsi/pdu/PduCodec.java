package io.reloc.iscsi.pdu;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Frames PDUs on a byte stream: reads and writes the BHS, AHS, the optional CRC32C header digest,
 * the data segment padded to four bytes and the optional data digest. Knows nothing about what a
 * PDU means (an unknown opcode is framed like any other; the caller rejects it). Digest settings
 * change when login completes, so they are mutable; one codec belongs to one connection and is
 * used by one reader thread and (under the caller's lock) any number of writers.
 */
public final class PduCodec {
    private static final byte[] PAD = new byte[3];
    private volatile boolean headerDigest;
    private volatile boolean dataDigest;
    private volatile int maxRecvDataSegmentLength;

    /** @param maxRecvDataSegmentLength longest data segment accepted from the peer */
    public PduCodec(int maxRecvDataSegmentLength) {
        this.maxRecvDataSegmentLength = maxRecvDataSegmentLength;
    }

    public void digests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    public void maxRecvDataSegmentLength(int length) {
        this.maxRecvDataSegmentLength = length;
    }

    static int padding(int length) {
        return (4 - (length & 3)) & 3;
    }

    /**
     * Reads one PDU.
     *
     * @return the PDU, or null at a clean end of stream before its first byte
     * @throws PduException on a digest mismatch or an impossible header; the stream is positioned
     *     after the PDU for {@link PduException.Kind#DATA_DIGEST}
     * @throws EOFException if the stream ends inside a PDU
     */
    public Pdu read(InputStream in) throws IOException {
        byte[] bhs = new byte[Pdu.BHS_LENGTH];
        int first = in.read();
        if (first < 0) {
            return null;
        }
        bhs[0] = (byte) first;
        readFully(in, bhs, 1, Pdu.BHS_LENGTH - 1);
        Pdu header = Pdu.of(bhs, new byte[0], new byte[0]);
        byte[] ahs = new byte[header.ahsLength()];
        readFully(in, ahs, 0, ahs.length);
        if (headerDigest) {
            byte[] digest = new byte[4];
            readFully(in, digest, 0, 4);
            int expected = Digests.headerDigest(bhs, ahs);
            int got = Digests.getLittleEndian(digest, 0);
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
        byte[] data = new byte[length];
        readFully(in, data, 0, length);
        int pad = padding(length);
        if (pad > 0) {
            readFully(in, new byte[pad], 0, pad);
        }
        Pdu pdu = Pdu.of(bhs, ahs, data);
        if (dataDigest && length > 0) {
            byte[] digest = new byte[4];
            readFully(in, digest, 0, 4);
            int expected = Digests.dataDigest(data);
            int got = Digests.getLittleEndian(digest, 0);
            if (expected != got) {
                throw new PduException(PduException.Kind.DATA_DIGEST, String.format(
                        "data digest mismatch: computed 0x%08x, received 0x%08x", expected, got), pdu);
            }
        }
        return pdu;
    }

    /** Encodes one PDU with the current digest settings. */
    public byte[] encode(Pdu pdu) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            write(out, pdu);
        } catch (IOException e) {
            throw new IllegalStateException("a byte array stream does not fail", e);
        }
        return out.toByteArray();
    }

    public void write(OutputStream out, Pdu pdu) throws IOException {
        byte[] data = pdu.data();
        write(out, pdu, data, 0, data.length);
    }

    /**
     * Writes {@code pdu}'s header with {@code length} bytes of {@code data} from {@code offset}
     * as its data segment, ignoring {@code pdu.data()}: Data-In PDUs are slices of one buffer,
     * sent without copying them out. Sets the header's DataSegmentLength and TotalAHSLength.
     */
    public void write(OutputStream out, Pdu pdu, byte[] data, int offset, int length) throws IOException {
        byte[] bhs = pdu.bhs();
        byte[] ahs = pdu.ahs();
        bhs[4] = (byte) (ahs.length / 4);
        bhs[5] = (byte) (length >>> 16);
        bhs[6] = (byte) (length >>> 8);
        bhs[7] = (byte) length;
        out.write(bhs);
        out.write(ahs);
        if (headerDigest) {
            byte[] digest = new byte[4];
            Digests.putLittleEndian(digest, 0, Digests.headerDigest(bhs, ahs));
            out.write(digest);
        }
        out.write(data, offset, length);
        int pad = padding(length);
        if (pad > 0) {
            out.write(PAD, 0, pad);
        }
        if (dataDigest && length > 0) {
            CRC32C crc = new CRC32C();
            crc.update(data, offset, length);
            crc.update(PAD, 0, pad);
            byte[] digest = new byte[4];
            Digests.putLittleEndian(digest, 0, (int) crc.getValue());
            out.write(digest);
        }
    }

    /**
     * Frames {@code pdu}'s header with {@code data} (position to limit, not consumed) as its data
     * segment, for a gathering channel write: header with its digest, the data itself (a direct
     * buffer is written without copying), then padding and data digest. Sets the header's
     * DataSegmentLength and TotalAHSLength; ignores {@code pdu.data()}.
     */
    public ByteBuffer[] frame(Pdu pdu, ByteBuffer data) {
        byte[] bhs = pdu.bhs();
        byte[] ahs = pdu.ahs();
        int length = data.remaining();
        bhs[4] = (byte) (ahs.length / 4);
        bhs[5] = (byte) (length >>> 16);
        bhs[6] = (byte) (length >>> 8);
        bhs[7] = (byte) length;
        boolean hd = headerDigest;
        byte[] head = new byte[bhs.length + ahs.length + (hd ? 4 : 0)];
        System.arraycopy(bhs, 0, head, 0, bhs.length);
        System.arraycopy(ahs, 0, head, bhs.length, ahs.length);
        if (hd) {
            Digests.putLittleEndian(head, bhs.length + ahs.length, Digests.headerDigest(bhs, ahs));
        }
        int pad = padding(length);
        boolean dd = dataDigest && length > 0;
        byte[] tail = new byte[pad + (dd ? 4 : 0)];
        if (dd) {
            CRC32C crc = new CRC32C();
            crc.update(data.duplicate());
            crc.update(PAD, 0, pad);
            Digests.putLittleEndian(tail, pad, (int) crc.getValue());
        }
        return new ByteBuffer[] {ByteBuffer.wrap(head), data.duplicate(), ByteBuffer.wrap(tail)};
    }

    private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = in.read(b, off, len);
            if (n < 0) {
                throw new EOFException("connection closed inside a PDU (" + len + " bytes missing)");
            }
            off += n;
            len -= n;
        }
    }
}
