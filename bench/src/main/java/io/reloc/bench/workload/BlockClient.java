package io.reloc.bench.workload;

import java.io.IOException;

/** One connection to a disk, used by one request at a time: what the driver sends requests through. */
public interface BlockClient {
    /** Reads {@code dst.length} bytes at {@code offset}. */
    void read(long offset, byte[] dst) throws IOException;

    void write(long offset, byte[] src) throws IOException;

    void flush() throws IOException;
}
