/**
 * The NBD source connector: reads a relocation's source from any fixed-newstyle NBD server
 * (reloc's own, nbdkit, qemu-nbd) as a read-only {@link io.reloc.api.BlockDevice}.
 *
 * <p>Addresses: {@code nbd://HOST[:PORT]/EXPORT} (port 10809 by default, the export may be empty)
 * and {@code nbd+unix:///EXPORT?socket=PATH}; {@code ?connections=N} caps the connections opened
 * to a server that offers CAN_MULTI_CONN (4 by default). TLS ({@code nbds}) is not supported.
 *
 * <p>Handshake ({@link io.reloc.nbd.client.ClientHandshake}): NO_ZEROES when offered,
 * STRUCTURED_REPLY, SET_META_CONTEXT {@code base:allocation}, then GO asking for the block sizes,
 * or EXPORT_NAME on servers that do not know GO. An unknown export is reported with the list the
 * server gives.
 *
 * <p>Transmission ({@link io.reloc.nbd.client.NbdConnection}): callers queue requests; one writer
 * thread sends them and one reader thread completes them by cookie, out of order. Reads are
 * aligned to the server's minimum block size and split at its maximum payload. Data goes straight
 * into the caller's buffer, and only from chunks inside the requested range that overlap nothing
 * received before; anything else from the server (unknown cookie, bad magic, a short or stray
 * chunk, silence for the reply timeout while requests wait) drops the connection and fails every
 * pending and later request with {@link io.reloc.api.BlockError#IO}, never returning wrong bytes.
 * Reconnecting is the job of the caller ({@code ReconnectingSource} in core).
 *
 * <p>Buffers: a caller's buffer is written only until its read returns; an interrupted read
 * abandons it, and late data is discarded.
 */
package io.reloc.nbd.client;
