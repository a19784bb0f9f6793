package io.reloc.bench.workload;

/**
 * An endless, reproducible sequence of requests against a disk: the same parameters and seed
 * give the same sequence. Implementations are not thread safe.
 */
public interface Workload {
    /** The unit of every request: reads and writes are whole, aligned pages. */
    int PAGE = 4096;

    Request next();
}
