package io.reloc.core.codec;

import io.reloc.api.TransferCodec;

import java.nio.ByteBuffer;

/**
 * Base of the codecs whose libraries work on byte arrays: takes the bytes out of any buffer
 * (without a copy when it is an accessible heap buffer), checks the decoded length, and turns every
 * library failure on corrupt input into {@link IllegalArgumentException} naming the codec.
 */
abstract class ArrayCodec implements TransferCodec {

    /** Encodes {@code length} bytes of {@code src} from {@code offset}; returns the encoded bytes. */
    abstract ByteBuffer encode(byte[] src, int offset, int length) throws Exception;

    /**
     * Decodes {@code src[offset, offset + length)} into {@code dst}, filling it exactly, or throws
     * (any exception) when the input is corrupt or decodes to another length.
     */
    abstract void decode(byte[] src, int offset, int length, byte[] dst) throws Exception;

    @Override
    public final ByteBuffer encode(ByteBuffer src) {
        int length = src.remaining();
        try {
            if (src.hasArray()) {
                ByteBuffer encoded = encode(src.array(), src.arrayOffset() + src.position(), length);
                src.position(src.limit());
                return encoded;
            }
            byte[] copy = new byte[length];
            src.get(copy);
            return encode(copy, 0, length);
        } catch (Exception e) {
            // Encoding well-formed memory cannot fail for a reason the caller could fix.
            throw new IllegalStateException(name() + " cannot encode " + length + " bytes: " + e.getMessage(), e);
        }
    }

    @Override
    public final ByteBuffer decode(ByteBuffer src, int decodedLength) {
        if (decodedLength < 0) {
            throw new IllegalArgumentException("decoded length must not be negative: " + decodedLength);
        }
        int length = src.remaining();
        byte[] array;
        int offset;
        if (src.hasArray()) {
            array = src.array();
            offset = src.arrayOffset() + src.position();
        } else {
            array = new byte[length];
            src.duplicate().get(array);
            offset = 0;
        }
        byte[] dst = new byte[decodedLength];
        try {
            decode(array, offset, length, dst);
        } catch (CorruptInputException e) {
            throw new IllegalArgumentException("corrupt " + name() + " payload: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalArgumentException("corrupt " + name() + " payload of " + length + " bytes (expected "
                    + decodedLength + " decoded bytes): " + e, e);
        }
        src.position(src.limit());
        return ByteBuffer.wrap(dst);
    }

    @Override
    public String toString() {
        return name();
    }

    /** Input that decodes, but not to the expected length, or that carries trailing bytes. */
    static final class CorruptInputException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptInputException(String message) {
            super(message);
        }
    }
}
