package io.reloc.iscsi.scsi;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of one SCSI command.
 *
 * @param status SCSI status: {@link #GOOD} or {@link #CHECK_CONDITION}
 * @param dataIn data for the initiator (never longer than the CDB allows); empty if none
 * @param sense sense data with CHECK CONDITION, empty with GOOD
 */
public record ScsiResult(int status, byte[] dataIn, Optional<Sense> sense) {
    public static final int GOOD = 0x00;
    public static final int CHECK_CONDITION = 0x02;

    public ScsiResult {
        requireNonNull(dataIn, "dataIn is null");
        requireNonNull(sense, "sense is null");
    }

    public static ScsiResult good() {
        return new ScsiResult(GOOD, new byte[0], Optional.empty());
    }

    public static ScsiResult good(byte[] dataIn) {
        return new ScsiResult(GOOD, dataIn, Optional.empty());
    }

    public static ScsiResult check(Sense sense) {
        return new ScsiResult(CHECK_CONDITION, new byte[0], Optional.of(sense));
    }
}
