package io.reloc.api;

/**
 * Why a block operation failed. Front ends translate these to their protocol's error codes
 * (NBD errno values, SCSI sense data), so the set stays small and protocol-neutral.
 */
public enum BlockError {
    /** The medium or the remote source failed; the data may be intact but could not be reached. */
    IO,
    /** The local store is full. Nothing was written. */
    NO_SPACE,
    /** The request is malformed: out of range, misaligned, or a flag the device rejects. */
    INVALID,
    /** The device is read-only. */
    READ_ONLY,
    /** The device cannot do this (e.g. a fast zero that would not be fast). */
    NOT_SUPPORTED,
    /** The device is shutting down; the client should reconnect later. */
    SHUTDOWN
}
