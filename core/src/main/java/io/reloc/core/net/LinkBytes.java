package io.reloc.core.net;

/**
 * A source that counts the bytes its reads' replies took on the link: compressed where the
 * relocation channel compressed them, a few bytes for a run of zeros sent as a marker. The
 * background copier's pacer paces by these bytes rather than by the bytes it fetches, which on
 * compressible data are several times as many (see {@code DelayPacer}).
 */
public interface LinkBytes {
    /** Bytes of read replies received so far; never decreases. */
    long linkBytesReceived();
}
