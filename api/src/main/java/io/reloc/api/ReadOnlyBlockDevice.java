package io.reloc.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * A device that is never written, such as the source of a relocation: every modifying call is
 * refused with {@link BlockError#READ_ONLY} and flush has nothing to do.
 */
public interface ReadOnlyBlockDevice extends BlockDevice {

    @Override
    default boolean isReadOnly() {
        return true;
    }

    @Override
    default void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        throw refused();
    }

    /** Nothing to persist: the device is never written. */
    @Override
    default void flush() {}

    @Override
    default void trim(long offset, long length, boolean fua) throws IOException {
        throw refused();
    }

    @Override
    default void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        throw refused();
    }

    private static BlockDeviceException refused() {
        return new BlockDeviceException(BlockError.READ_ONLY, "this device is read-only (a relocation never writes its source)");
    }
}
