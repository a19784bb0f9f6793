package io.reloc.core.codec;

import io.reloc.api.TransferCodec;

import java.nio.ByteBuffer;

/** Sends payloads as they are: for fast links and incompressible data. */
public final class IdentityCodec implements TransferCodec {
    public static final String NAME = "identity";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ByteBuffer encode(ByteBuffer src) {
        ByteBuffer copy = ByteBuffer.allocate(src.remaining());
        copy.put(src);
        return copy.flip();
    }

    @Override
    public ByteBuffer decode(ByteBuffer src, int decodedLength) {
        if (src.remaining() != decodedLength) {
            throw new IllegalArgumentException("corrupt identity payload: " + src.remaining()
                    + " bytes where " + decodedLength + " were expected");
        }
        return encode(src);
    }

    @Override
    public String toString() {
        return NAME;
    }
}
