package io.reloc.core.net;

/**
 * A source that counts the bytes its reads' replies took on the link: compressed where the
 * relocation channel compressed them, a few bytes for a run of zeros sent as a marker. The
 * background copier's pacer paces by these bytes rather than by the bytes it fetches, which on
 * compressible data are several times as many (see {@code DelayPacer}).
 *
 * <p>Both counts move together, as each reply (or batch) is received, so that the link bytes a
 * data byte cost can be measured between any two moments. (Measured against fetches as they end,
 * which can be tens of milliseconds after their bytes arrived on a busy machine, one round trip's
 * ratio swung between half and twice the true one.)
 */
public interface LinkBytes {
    /** Bytes of read replies received so far; never decreases. */
    long linkBytesReceived();

    /** Bytes of data those replies carried: decoded, and a zero marker's whole run; never decreases. */
    long dataBytesReceived();
}
