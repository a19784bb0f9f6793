/**
 * The NBD server: {@link io.reloc.nbd.server.NbdServer} accepts connections, runs the fixed newstyle
 * handshake ({@code Handshake}) and then serves requests ({@code Connection}).
 *
 * <p>Choices where the protocol leaves room:
 * <ul>
 *   <li>Read-only exports do not advertise TRIM, WRITE_ZEROES or FAST_ZERO (as {@code qemu-nbd -r});
 *       such requests get EPERM anyway.</li>
 *   <li>The maximum payload is the device's, capped at 64 MiB. A request longer than that gets EOVERFLOW. An oversized WRITE's payload is
 *       read and thrown away in 64 KiB steps (bounded memory) so the connection stays usable,
 *       unless it exceeds 256 MiB: then the connection is closed.</li>
 *   <li>Zero-length READ, WRITE, TRIM, WRITE_ZEROES and CACHE succeed without effect; a zero-length
 *       BLOCK_STATUS is EINVAL (there would be no extent to report).</li>
 *   <li>Replies other than READ's are simple even with structured replies negotiated (allowed by the
 *       protocol; nbdkit does the same). A READ is answered with a single OFFSET_DATA chunk, so DF
 *       always holds.</li>
 *   <li>Option data above 64 KiB closes the connection.</li>
 *   <li>Memory: per connection at most 128 requests and 64 MiB of payload in flight, and 256 MiB over
 *       the whole server; when a limit is reached the server stops reading that connection. A client
 *       that accepts no reply bytes for 60 s is disconnected, so that it cannot hold the shared budget
 *       (and so stall every other client) forever.</li>
 * </ul>
 */
package io.reloc.nbd.server;
