package io.reloc.api;

import java.nio.ByteBuffer;

/**
 * Pure, stateless compression of block payloads on the relocation channel. Thread safe.
 * Neither method retains its argument.
 */
public interface TransferCodec {

    /** The name negotiated on the wire and used in configuration, e.g. {@code "zstd"}. */
    String name();

    /** Encodes {@code src} from position to limit (position advances) into a new buffer, flipped. */
    ByteBuffer encode(ByteBuffer src);

    /**
     * Decodes {@code src} (position advances) into a new flipped buffer of exactly
     * {@code decodedLength} bytes.
     *
     * @throws IllegalArgumentException if {@code src} is corrupt or does not decode to that length
     */
    ByteBuffer decode(ByteBuffer src, int decodedLength);
}
