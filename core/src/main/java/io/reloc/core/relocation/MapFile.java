package io.reloc.core.relocation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

import static java.util.Objects.requireNonNull;

/**
 * The durable presence map: a header, the bits, and a CRC32C over both. Written whole to a
 * temporary file, synced, renamed over the old one and the directory synced, so a crash leaves
 * either the old map or the new one, never a torn mix.
 *
 * <p>Callers must flush the local store before {@link #write}ing bits (invariant I4).
 */
public final class MapFile {
    private static final long MAGIC = 0x52454c4f434d4150L; // "RELOCMAP"
    /** Maps without a tracking session; what Reloc wrote before hybrid pre-copy. */
    private static final int VERSION = 1;
    /** Version 1 plus the tracking session and round, written in {@link RelocationState#PRECOPY} only. */
    private static final int VERSION_TRACKING = 2;

    private final Path path;

    public MapFile(Path path) {
        this.path = requireNonNull(path, "path is null");
    }

    public Path path() {
        return path;
    }

    /** A map as read from disk. */
    public record Contents(MapHeader header, long[] bits) {}

    /** @return empty if there is no map file yet */
    public Optional<Contents> read() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        try {
            if (bytes.length < 4 || in.getLong(0) != MAGIC) {
                throw corrupt("it does not start with the map magic");
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            if ((int) crc.getValue() != in.getInt(bytes.length - 4)) {
                throw corrupt("its checksum does not match (torn or damaged)");
            }
            in.position(8);
            int version = in.getInt();
            if (version != VERSION && version != VERSION_TRACKING) {
                throw corrupt("it has version " + version + "; this Reloc reads versions " + VERSION + " and "
                        + VERSION_TRACKING);
            }
            RelocationState state = RelocationState.values()[in.get()];
            ActivationTrigger trigger = ActivationTrigger.values()[in.get()];
            in.getShort();
            long size = in.getLong();
            int blockSize = in.getInt();
            byte[] identity = new byte[in.getInt()];
            in.get(identity);
            byte[] cacheId = new byte[in.getInt()];
            in.get(cacheId);
            long session = version == VERSION_TRACKING ? in.getLong() : 0;
            int round = version == VERSION_TRACKING ? in.getInt() : 0;
            if ((state == RelocationState.PRECOPY) != (version == VERSION_TRACKING)) {
                throw corrupt("its state " + state + " does not fit its version " + version);
            }
            BlockGeometry geometry = new BlockGeometry(size, blockSize);
            long[] bits = new long[PresenceMap.wordsFor(geometry.blockCount())];
            if (in.remaining() != bits.length * 8L + 4) {
                throw corrupt("its bitmap has the wrong length for " + geometry.blockCount() + " blocks");
            }
            in.asLongBuffer().get(bits);
            MapHeader header = new MapHeader(geometry, new String(identity, StandardCharsets.UTF_8),
                    new String(cacheId, StandardCharsets.UTF_8), state, trigger, session, round);
            return Optional.of(new Contents(header, bits));
        } catch (RuntimeException e) {
            throw corrupt("it is malformed (" + e.getMessage() + ")");
        }
    }

    /** Replaces the map on disk atomically and durably. */
    public void write(MapHeader header, long[] bits) throws IOException {
        byte[] identity = header.sourceIdentity().getBytes(StandardCharsets.UTF_8);
        byte[] cacheId = header.cacheId().getBytes(StandardCharsets.UTF_8);
        boolean tracking = header.state() == RelocationState.PRECOPY;
        ByteBuffer out = ByteBuffer.allocate(8 + 4 + 4 + 8 + 4 + 4 + identity.length + 4 + cacheId.length
                + (tracking ? 12 : 0) + bits.length * 8 + 4);
        out.putLong(MAGIC).putInt(tracking ? VERSION_TRACKING : VERSION)
                .put((byte) header.state().ordinal()).put((byte) header.trigger().ordinal()).putShort((short) 0)
                .putLong(header.geometry().size()).putInt(header.geometry().blockSize())
                .putInt(identity.length).put(identity)
                .putInt(cacheId.length).put(cacheId);
        if (tracking) {
            out.putLong(header.trackingSession()).putInt(header.trackingRound());
        }
        out.asLongBuffer().put(bits);
        out.position(out.position() + bits.length * 8);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        out.flip();

        Path temp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.force(true);
        }
        try {
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + path + " atomically; keep the map on a local filesystem", e);
        }
        Path dir = path.toAbsolutePath().getParent();
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    private IOException corrupt(String why) {
        return new IOException("map file " + path + " cannot be used: " + why
                + ". Move it away to start the relocation afresh (everything will be fetched again).");
    }
}
