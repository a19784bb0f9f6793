package io.reloc.core.relocation;

/**
 * Told of every client read and write of a relocating disk (a {@link io.reloc.api.CopyOrder}'s
 * {@code onAccess}, typically). Called on the client's request path, from many threads at once:
 * implementations are thread safe and quick.
 */
@FunctionalInterface
public interface AccessListener {

    /**
     * @param first the first block touched
     * @param count blocks touched, {@code >= 1}
     * @param write a write (or write-zeroes) rather than a read
     * @param client identifies the client when known, 0 otherwise
     */
    void onAccess(long first, long count, boolean write, long client);
}
