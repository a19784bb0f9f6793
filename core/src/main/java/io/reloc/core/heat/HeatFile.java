package io.reloc.core.heat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.zip.CRC32C;

import static java.util.Objects.requireNonNull;

/**
 * A heat map on disk, beside its image ({@code IMAGE.heat}), so that what clients used survives a
 * restart of the server.
 *
 * <p>Format, big-endian: magic {@code "RELOCHT1"}, u32 version (1), u64 disk size, u64 region
 * size, u32 region count, u64 half-life in milliseconds, u64 time of saving (milliseconds since
 * the epoch), u32 entry count, then per region with heat: u32 region index and f32 heat at saving
 * time, in increasing region order; last a u32 CRC-32C of every byte before it. Regions without
 * heat are left out, so a map of a mostly idle disk is small.
 *
 * <p>Saving writes a temporary file, forces it and renames it over the old one: a crash leaves the
 * old map or the new one. Loading checks everything; a file that fails a check is reported and
 * ignored, never trusted in part.
 */
public final class HeatFile {
    private static final Logger log = LoggerFactory.getLogger(HeatFile.class);
    private static final byte[] MAGIC = "RELOCHT1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int HEADER = 8 + 4 + 8 + 8 + 4 + 8 + 8 + 4;
    private static final int ENTRY = 4 + 4;

    private final Path path;

    public HeatFile(Path path) {
        this.path = requireNonNull(path, "path is null");
    }

    /** The heat file of an image: {@code IMAGE.heat} in the image's directory. */
    public static HeatFile beside(Path image) {
        return new HeatFile(image.resolveSibling(image.getFileName() + ".heat"));
    }

    public Path path() {
        return path;
    }

    /** Writes {@code map} as it is now, atomically. */
    public void save(HeatMap map, InstantSource clock) throws IOException {
        double[] heats = map.heats();
        int entries = 0;
        for (double h : heats) {
            if ((float) h > 0) {
                entries++;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER + entries * ENTRY + 4);
        out.put(MAGIC).putInt(VERSION).putLong(map.diskSize()).putLong(map.regionSize()).putInt(map.regionCount())
                .putLong(map.halfLife().toMillis()).putLong(clock.millis()).putInt(entries);
        for (int r = 0; r < heats.length; r++) {
            if ((float) heats[r] > 0) {
                out.putInt(r).putFloat((float) heats[r]);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue()).flip();
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.force(true);
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** What {@link #load} found. */
    public enum Outcome {
        /** The map holds the saved heat, decayed by the time since saving. */
        LOADED,
        /** There was no file: the map is empty. */
        MISSING,
        /** The file was damaged or made for another disk: the map is empty and a warning was logged. */
        REJECTED
    }

    /**
     * Fills {@code map} (which should be empty) from the file, decaying the saved heat by the time
     * since it was saved. A damaged file, or one for a disk of another size or another region
     * size, is logged as a warning naming the file and what to do, and leaves the map empty.
     */
    public Outcome load(HeatMap map, InstantSource clock) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return Outcome.MISSING;
        } catch (IOException e) {
            return reject("cannot be read (" + e.getMessage() + ")");
        }
        try {
            return decode(ByteBuffer.wrap(bytes), map, clock);
        } catch (java.nio.BufferUnderflowException e) {
            return reject("is truncated");
        }
    }

    private Outcome decode(ByteBuffer in, HeatMap map, InstantSource clock) {
        if (in.remaining() < HEADER + 4) {
            return reject("is truncated (" + in.remaining() + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(in.array(), 0, in.limit() - 4);
        if ((int) crc.getValue() != in.getInt(in.limit() - 4)) {
            return reject("fails its checksum");
        }
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            return reject("is not a Reloc heat map");
        }
        int version = in.getInt();
        if (version != VERSION) {
            return reject("has version " + version + ", this Reloc reads version " + VERSION);
        }
        long diskSize = in.getLong();
        long regionSize = in.getLong();
        int regionCount = in.getInt();
        if (diskSize != map.diskSize() || regionSize != map.regionSize() || regionCount != map.regionCount()) {
            return reject("describes a disk of " + diskSize + " bytes in regions of " + regionSize + ", not "
                    + map.diskSize() + " in regions of " + map.regionSize() + " (the image was resized?)");
        }
        long halfLife = in.getLong();
        long savedAt = in.getLong();
        int entries = in.getInt();
        if (entries < 0 || entries > regionCount || in.remaining() != (long) entries * ENTRY + 4) {
            return reject("claims " + Integer.toUnsignedString(entries) + " entries in " + (in.remaining() - 4) + " bytes");
        }
        // Heat decays while the server is down too: what was hot a day ago is not hot now.
        double decay = Math.pow(2, -Math.max(0, clock.millis() - savedAt) / (double) Math.max(1, halfLife));
        int previous = -1;
        for (int i = 0; i < entries; i++) {
            int region = in.getInt();
            float heat = in.getFloat();
            if (region <= previous || region >= regionCount || !(heat > 0) || Float.isInfinite(heat)) {
                map.clear();
                return reject("has a bad entry (region " + region + ", heat " + heat + ")");
            }
            previous = region;
            map.set(region, heat * decay);
        }
        return Outcome.LOADED;
    }

    private Outcome reject(String why) {
        log.warn("heat map {} {}; starting with an empty heat map (the file will be replaced at the next save; "
                + "move it away to keep it)", path, why);
        return Outcome.REJECTED;
    }
}
