/**
 * The NBD wire format as pure codecs: no sockets, no threads. Every class both encodes and decodes,
 * so that a server and a client share it.
 *
 * <p>Buffer rules: {@code decode} methods read from the caller's buffer at its position and
 * advance it; {@code encode(ByteBuffer)} methods write at the position and advance it;
 * {@code encodeAt} methods write at an absolute index. No method retains a buffer. Malformed input
 * raises {@link io.reloc.nbd.protocol.NbdProtocolException} with the offending value in its message.
 */
package io.reloc.nbd.protocol;
