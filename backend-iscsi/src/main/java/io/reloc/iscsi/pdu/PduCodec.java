package io.reloc.iscsi.pdu;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Frames PDUs on a byte stream: reads and writes the BHS, AHS, the optional CRC32C header digest,
 * the data segment padded to four bytes and the optional data digest. Knows nothing about what a
 * PDU means (an unknown opcode is framed like any other; the caller rejects it). Digest settings change when login completes, so they are mutable; one codec belongs
 * to one connection and is used by one reader thread and (under the caller's lock) one writer.
 */
public final class PduCodec {
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
        byte[] bhs = pdu.bhs();
        byte[] ahs = pdu.ahs();
        byte[] data = pdu.data();
        boolean hd = headerDigest;
        boolean dd = dataDigest && data.length > 0;
        int size = bhs.length + ahs.length + (hd ? 4 : 0) + data.length + padding(data.length) + (dd ? 4 : 0);
        byte[] out = new byte[size];
        System.arraycopy(bhs, 0, out, 0, bhs.length);
        out[4] = (byte) (ahs.length / 4);
        System.arraycopy(ahs, 0, out, bhs.length, ahs.length);
        int at = bhs.length + ahs.length;
        if (hd) {
            byte[] header = java.util.Arrays.copyOf(out, at);
            Digests.putLittleEndian(out, at, Digests.headerDigest(java.util.Arrays.copyOf(header, bhs.length),
                    ahs));
            at += 4;
        }
        System.arraycopy(data, 0, out, at, data.length);
        at += data.length + padding(data.length);
        if (dd) {
            Digests.putLittleEndian(out, at, Digests.dataDigest(data));
        }
        return out;
    }

    public void write(OutputStream out, Pdu pdu) throws IOException {
        out.write(encode(pdu));
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
