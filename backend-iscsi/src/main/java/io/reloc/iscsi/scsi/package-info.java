/**
 * A SCSI direct-access logical unit over a {@link io.reloc.api.BlockDevice}, without any transport:
 * CDB in, status, sense and data out ({@link io.reloc.iscsi.scsi.LogicalUnit}).
 *
 * <p>Supported: TEST UNIT READY, REQUEST SENSE, INQUIRY with VPD pages 0x00, 0x80, 0x83, 0xB0,
 * 0xB1, 0xB2, MODE SENSE(6/10), READ CAPACITY(10/16), GET LBA STATUS, READ and WRITE (6, 10, 12,
 * 16), VERIFY and WRITE AND VERIFY (10, 12, 16), PRE-FETCH(10/16) as a cache hint (a relocating
 * device fetches the range), SYNCHRONIZE CACHE(10/16) as a device flush, WRITE
 * SAME(10/16) and UNMAP (zeroes punch holes; LBPRZ), COMPARE AND WRITE, REPORT LUNS, REPORT
 * SUPPORTED OPERATION CODES. Anything else gets ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE
 * (5/20/00), which conformance suites count as "not implemented" rather than failed.
 *
 * <p>Device errors ({@link io.reloc.api.BlockError}) map to sense data as follows: IO to MEDIUM
 * ERROR, UNRECOVERED READ ERROR (3/11/00) on reads and WRITE ERROR (3/0C/00) on writes; NO_SPACE
 * to DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT (7/27/07), what thin-provisioned arrays
 * report when their pool is full; INVALID to LOGICAL BLOCK ADDRESS OUT OF RANGE (5/21/00);
 * READ_ONLY to WRITE PROTECTED (7/27/00); NOT_SUPPORTED to HARDWARE ERROR, INTERNAL TARGET
 * FAILURE (4/44/00); SHUTDOWN to NOT READY, LOGICAL UNIT NOT READY (2/04/00), which initiators
 * retry.
 */
package io.reloc.iscsi.scsi;
