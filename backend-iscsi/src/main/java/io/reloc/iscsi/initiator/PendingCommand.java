package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.iscsi.pdu.Pdu;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import static java.util.Objects.requireNonNull;

/**
 * One SCSI read command in flight: reassembles its Data-In PDUs into a buffer of the expected
 * transfer length and completes with the data once the status arrives. Data must come in order
 * (DataPDUInOrder and DataSequenceInOrder are negotiated to Yes): each PDU's DataSN and
 * BufferOffset must be the next ones, which rules out gaps, overlaps and out-of-range data.
 * Touched only by the connection's reader thread, except {@link #done()}.
 */
final class PendingCommand {
    private static final int BUSY = 0x08;
    private static final int TASK_SET_FULL = 0x28;
    private final String what;
    private final byte[] buffer;
    private final boolean exact;
    private final CompletableFuture<byte[]> done = new CompletableFuture<>();
    private volatile long submittedNanos;
    private int itt;
    private int received;
    private int nextDataSn;

    /**
     * @param what the command, for messages
     * @param expectedLength the expected data transfer length
     * @param exact whether less data than expected is an error (reads) or normal (INQUIRY and
     *     other commands whose allocation length is an upper bound)
     */
    PendingCommand(String what, int expectedLength, boolean exact) {
        this.what = requireNonNull(what, "what is null");
        this.buffer = new byte[expectedLength];
        this.exact = exact;
    }

    String what() {
        return what;
    }

    int expectedLength() {
        return buffer.length;
    }

    int itt() {
        return itt;
    }

    /** Sets the task tag when the command is sent, and starts its reply clock. */
    void itt(int itt) {
        this.itt = itt;
        this.submittedNanos = System.nanoTime();
    }

    long submittedNanos() {
        return submittedNanos;
    }

    /** Completes with the data received, or with a {@link BlockDeviceException}. */
    CompletableFuture<byte[]> done() {
        return done;
    }

    /**
     * Takes one Data-In PDU.
     *
     * @return whether it carried the status and completed the command
     * @throws ProtocolException on out-of-order, overlapping or out-of-range data: the connection
     *     can no longer be trusted
     */
    boolean onDataIn(Pdu p) throws ProtocolException {
        int dataSn = InitiatorPdus.dataSn(p);
        if (dataSn != nextDataSn) {
            throw new ProtocolException("Data-In for " + what + " has DataSN " + Integer.toUnsignedString(dataSn)
                    + ", expected " + nextDataSn);
        }
        nextDataSn++;
        int offset = InitiatorPdus.bufferOffset(p);
        int length = p.data().length;
        if (offset != received) {
            throw new ProtocolException("Data-In for " + what + " at buffer offset " + Integer.toUnsignedString(offset)
                    + " leaves a gap or overlaps: " + received + " bytes were received before it");
        }
        if (length > buffer.length - received) {
            throw new ProtocolException("Data-In for " + what + " carries " + length + " bytes at offset " + offset
                    + ", beyond the expected " + buffer.length);
        }
        System.arraycopy(p.data(), 0, buffer, offset, length);
        received += length;
        if (!InitiatorPdus.dataInHasStatus(p)) {
            return false;
        }
        if (!p.isFinal()) {
            throw new ProtocolException("Data-In for " + what + " carries status without the F bit");
        }
        int status = InitiatorPdus.scsiStatus(p);
        if (status != InitiatorPdus.GOOD) {
            fail(new BlockDeviceException(BlockError.IO, what + " failed with " + statusName(status)));
            return true;
        }
        finishGood(p);
        return true;
    }

    /** Takes the SCSI Response that ends the command. */
    void onResponse(Pdu p) throws ProtocolException {
        int response = InitiatorPdus.responseCode(p);
        if (response != 0) {
            fail(new BlockDeviceException(BlockError.IO, what + " failed at the target (iSCSI response 0x"
                    + Integer.toHexString(response) + ")"));
            return;
        }
        int status = InitiatorPdus.scsiStatus(p);
        switch (status) {
            case InitiatorPdus.GOOD -> finishGood(p);
            case InitiatorPdus.CHECK_CONDITION -> {
                Sense sense = Sense.parse(InitiatorPdus.senseData(p));
                fail(new ScsiCheckCondition(sense, what + " failed: " + sense));
            }
            case BUSY, TASK_SET_FULL -> fail(new TargetBusy(what + " refused for now: " + statusName(status)));
            default -> fail(new BlockDeviceException(BlockError.IO, what + " failed with " + statusName(status)));
        }
    }

    private void finishGood(Pdu p) throws ProtocolException {
        long residual = Integer.toUnsignedLong(InitiatorPdus.residualCount(p));
        if (InitiatorPdus.residualOverflow(p)) {
            // The target had more than we asked for; what we asked for must all be there.
            residual = 0;
        } else if (!InitiatorPdus.residualUnderflow(p)) {
            residual = 0;
        }
        if (residual > buffer.length || received != buffer.length - residual) {
            throw new ProtocolException(what + " ended with " + received + " bytes received but a residual of "
                    + residual + " of " + buffer.length);
        }
        if (exact && received != buffer.length) {
            fail(new BlockDeviceException(BlockError.IO, what + " returned " + received + " of " + buffer.length
                    + " bytes"));
            return;
        }
        done.complete(received == buffer.length ? buffer : Arrays.copyOf(buffer, received));
    }

    void fail(BlockDeviceException e) {
        done.completeExceptionally(e);
    }

    static String statusName(int status) {
        return switch (status) {
            case 0x02 -> "CHECK CONDITION";
            case 0x04 -> "CONDITION MET";
            case 0x08 -> "BUSY";
            case 0x18 -> "RESERVATION CONFLICT";
            case 0x28 -> "TASK SET FULL";
            case 0x30 -> "ACA ACTIVE";
            case 0x40 -> "TASK ABORTED";
            default -> String.format("SCSI status 0x%02x", status);
        };
    }
}
