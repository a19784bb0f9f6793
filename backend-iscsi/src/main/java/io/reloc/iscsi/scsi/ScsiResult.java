package io.reloc.iscsi.scsi;

import java.nio.ByteBuffer;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of one SCSI command.
 *
 * @param status SCSI status: {@link #GOOD} or {@link #CHECK_CONDITION}
 * @param data data for the initiator between position and limit (never longer than the CDB
 *     allows); empty if none. It may come from the logical unit's {@link DataBuffers}, to which
 *     whoever sends it gives it back.
 * @param sense sense data with CHECK CONDITION, empty with GOOD
 */
public record ScsiResult(int status, ByteBuffer data, Optional<Sense> sense) {
    public static final int GOOD = 0x00;
    public static final int CHECK_CONDITION = 0x02;

    public ScsiResult {
        requireNonNull(data, "data is null");
        requireNonNull(sense, "sense is null");
    }

    public static ScsiResult good() {
        return good(new byte[0]);
    }

    public static ScsiResult good(byte[] dataIn) {
        return new ScsiResult(GOOD, ByteBuffer.wrap(dataIn), Optional.empty());
    }

    public static ScsiResult good(ByteBuffer dataIn) {
        return new ScsiResult(GOOD, dataIn, Optional.empty());
    }

    public static ScsiResult check(Sense sense) {
        return new ScsiResult(CHECK_CONDITION, ByteBuffer.allocate(0), Optional.of(sense));
    }

    /** A copy of the data, for tests and small answers. */
    public byte[] dataIn() {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return b;
    }
}
