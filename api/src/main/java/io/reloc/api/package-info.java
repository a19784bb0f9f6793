/**
 * The Reloc SPI: the small contracts that plugins implement and the engine consumes.
 *
 * <p>This package depends on the JDK only. Plugins depend on it and on nothing else of Reloc's
 * at run time; wiring (Guice) lives in {@code reloc-core}.
 *
 * <p>Buffer ownership at every boundary in this package: a {@link java.nio.ByteBuffer} passed to a
 * method belongs to the caller. The callee reads or fills it between its position and limit during
 * the call only and never retains it afterwards.
 */
package io.reloc.api;
