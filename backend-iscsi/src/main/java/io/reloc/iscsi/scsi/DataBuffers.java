package io.reloc.iscsi.scsi;

import java.nio.ByteBuffer;

/**
 * Where a {@link LogicalUnit} gets buffers for data read from its device. A transport can hand
 * out direct buffers so the data goes from the device to the socket without copies. A buffer
 * handed out is owned by the caller of {@link LogicalUnit#execute} (inside its
 * {@link ScsiResult}) until it gives it back with {@link #release}. Thread safe.
 */
public interface DataBuffers {

    /** A buffer with position 0 and limit {@code length}; its contents are unspecified. */
    ByteBuffer allocate(int length);

    /** Takes back a buffer from {@link #allocate}; buffers it did not hand out are ignored. */
    void release(ByteBuffer buffer);

    /** Plain heap buffers, left to the garbage collector. */
    DataBuffers HEAP = new DataBuffers() {
        @Override
        public ByteBuffer allocate(int length) {
            return ByteBuffer.allocate(length);
        }

        @Override
        public void release(ByteBuffer buffer) {}
    };
}
