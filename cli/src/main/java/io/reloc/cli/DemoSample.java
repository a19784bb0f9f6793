package io.reloc.cli;

/**
 * One moment of a demo run, every counter cumulative since the start.
 *
 * @param millis time since the run started
 * @param linkA bytes both ways on link A (VM host to source)
 * @param linkB bytes both ways on link B (VM host to destination)
 * @param linkC bytes both ways on link C (destination to source)
 * @param demandBytes bytes of blocks fetched on demand (blocks times block size), part of link C
 * @param fractionPresent fraction of the destination's blocks present
 * @param stalls reads of absent blocks so far (demand fetches)
 */
record DemoSample(long millis, long linkA, long linkB, long linkC, long demandBytes, double fractionPresent, long stalls) {}
