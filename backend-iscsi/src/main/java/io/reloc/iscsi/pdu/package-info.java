/**
 * iSCSI wire format (RFC 7143), free of I/O policy and threads: {@link io.reloc.iscsi.pdu.Pdu}
 * headers, {@link io.reloc.iscsi.pdu.PduCodec} framing with CRC32C
 * {@link io.reloc.iscsi.pdu.Digests}, login and text {@link io.reloc.iscsi.pdu.TextParameters},
 * operational {@link io.reloc.iscsi.pdu.KeyNegotiation} and {@link io.reloc.iscsi.pdu.Chap}.
 * Everything here is tested from byte arrays, including malformed ones.
 */
package io.reloc.iscsi.pdu;
