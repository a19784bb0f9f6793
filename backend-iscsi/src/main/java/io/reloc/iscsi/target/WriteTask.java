package io.reloc.iscsi.target;

import java.util.Arrays;

/**
 * A SCSI command waiting for its data-out: immediate data, then unsolicited Data-Out PDUs, then
 * R2T-solicited bursts, in offset order (DataPDUInOrder and DataSequenceInOrder are Yes). The
 * buffer grows only when data is solicited, so queued commands hold at most their first burst.
 * Confined to the connection's reader thread.
 */
final class WriteTask {
    final int itt;
    final long lun;
    final byte[] cdb;
    final int expectedLength;
    private byte[] buffer;
    int received;
    /** Unsolicited Data-Out PDUs may still come (the command's F bit was clear). */
    boolean unsolicitedOpen;
    int unsolicitedDataSn;
    /** The current R2T's target transfer tag, or -1 when none is outstanding. */
    int ttt = -1;
    int r2tSn;
    int burstEnd;
    int burstDataSn;

    WriteTask(int itt, long lun, byte[] cdb, int expectedLength, int initialCapacity) {
        this.itt = itt;
        this.lun = lun;
        this.cdb = cdb;
        this.expectedLength = expectedLength;
        this.buffer = new byte[Math.min(expectedLength, initialCapacity)];
    }

    void append(byte[] data) {
        if (received + data.length > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.min(expectedLength, Math.max(received + data.length,
                    buffer.length * 2)));
        }
        System.arraycopy(data, 0, buffer, received, data.length);
        received += data.length;
    }

    boolean complete() {
        return received >= expectedLength;
    }

    byte[] data() {
        return buffer.length == received ? buffer : Arrays.copyOf(buffer, received);
    }
}
