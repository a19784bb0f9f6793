package io.reloc.iscsi.target;

import io.reloc.iscsi.scsi.DataBuffers;

import java.nio.ByteBuffer;

/**
 * A SCSI command waiting for its data-out: immediate data, then unsolicited Data-Out PDUs, then
 * R2T-solicited bursts, in offset order (DataPDUInOrder and DataSequenceInOrder are Yes). Data
 * is read from the socket straight into the task's buffer, which comes from {@link DataBuffers}
 * (pooled direct buffers for large writes, so the device writes them without a copy). A task
 * that has not been solicited yet holds a buffer for its first burst only; the buffer grows to
 * the whole transfer when solicited data arrives. Confined to the connection's reader thread
 * until {@link #data()} hands the buffer to the command.
 */
final class WriteTask {
    final int itt;
    final long lun;
    final byte[] cdb;
    final int expectedLength;
    private final DataBuffers buffers;
    /** Write mode: position is the number of bytes received. */
    private ByteBuffer buffer;
    int received;
    /** Unsolicited Data-Out PDUs may still come (the command's F bit was clear). */
    boolean unsolicitedOpen;
    int unsolicitedDataSn;
    /** The current R2T's target transfer tag, or -1 when none is outstanding. */
    int ttt = -1;
    int r2tSn;
    int burstEnd;
    int burstDataSn;

    /** @param initialCapacity bytes the first buffer holds (at most {@code expectedLength}) */
    WriteTask(int itt, long lun, byte[] cdb, int expectedLength, int initialCapacity, DataBuffers buffers) {
        this.itt = itt;
        this.lun = lun;
        this.cdb = cdb;
        this.expectedLength = expectedLength;
        this.buffers = buffers;
        this.buffer = buffers.allocate(Math.min(expectedLength, initialCapacity));
    }

    /**
     * The room for the next {@code length} bytes, to read them into; {@link #received(int)} then
     * accounts for them. Grows the buffer to the whole transfer when they do not fit.
     */
    ByteBuffer reserve(int length) {
        if (length > buffer.remaining()) {
            ByteBuffer bigger = buffers.allocate(Math.max(expectedLength, received + length));
            bigger.put(buffer.flip());
            buffers.release(buffer);
            buffer = bigger;
        }
        return buffer.slice(buffer.position(), length);
    }

    /** Accounts for {@code length} bytes just read into the room {@link #reserve} gave. */
    void received(int length) {
        buffer.position(buffer.position() + length);
        received += length;
    }

    boolean complete() {
        return received >= expectedLength;
    }

    /** The data received (position 0, limit {@link #received}); give it back with {@link #release()}. */
    ByteBuffer data() {
        return buffer.duplicate().flip();
    }

    /** Returns the buffer to the pool; the task must not be used afterwards. */
    void release() {
        buffers.release(buffer);
    }
}
