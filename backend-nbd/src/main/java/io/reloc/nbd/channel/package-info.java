/**
 * Reloc's relocation channel over NBD: the codec table both ends negotiate from, the server's
 * batch encoder (zero runs as markers, a CRC-32C per batch) and the client's checking decoder;
 * the server's per-batch codec choice ({@link io.reloc.nbd.channel.AdaptiveChoice}, with
 * {@link io.reloc.nbd.channel.CodecEstimates}) and the client's measure of the link it reports
 * ({@link io.reloc.nbd.channel.LinkMeter}).
 * The wire formats are in {@link io.reloc.nbd.protocol.RelocChannel}.
 */
package io.reloc.nbd.channel;
