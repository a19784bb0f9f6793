package io.reloc.iscsi.pdu;

/**
 * The operational parameters of a session once login negotiation is over (RFC 7143 §13).
 *
 * @param headerDigest CRC32C header digests in full feature phase
 * @param dataDigest CRC32C data digests in full feature phase
 * @param initialR2T the initiator must wait for an R2T before sending non-immediate data
 * @param immediateData the initiator may send data with the SCSI Command PDU
 * @param maxBurstLength largest solicited (R2T) or unsolicited sequence, in bytes
 * @param firstBurstLength largest amount of unsolicited data per command, in bytes
 * @param defaultTime2Wait seconds to wait before reconnecting after a logout
 * @param defaultTime2Retain seconds a task stays allegiant after a connection ends
 * @param maxOutstandingR2T R2Ts outstanding per task
 * @param errorRecoveryLevel 0: on an error the session is closed
 * @param maxConnections connections per session
 * @param dataPduInOrder Data PDUs come with increasing offsets
 * @param dataSequenceInOrder Data sequences come with increasing offsets
 * @param initiatorMaxRecvDataSegmentLength longest data segment the target may send
 * @param targetMaxRecvDataSegmentLength longest data segment the initiator may send
 */
public record SessionParameters(
        boolean headerDigest,
        boolean dataDigest,
        boolean initialR2T,
        boolean immediateData,
        int maxBurstLength,
        int firstBurstLength,
        int defaultTime2Wait,
        int defaultTime2Retain,
        int maxOutstandingR2T,
        int errorRecoveryLevel,
        int maxConnections,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int initiatorMaxRecvDataSegmentLength,
        int targetMaxRecvDataSegmentLength) {

    /** The values RFC 7143 assumes for keys nobody negotiated. */
    public static SessionParameters rfcDefaults(int targetMaxRecvDataSegmentLength) {
        return new SessionParameters(false, false, true, true, 262144, 65536, 2, 20, 1, 0, 1, true, true, 8192,
                targetMaxRecvDataSegmentLength);
    }
}
