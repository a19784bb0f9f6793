package io.reloc.core.heat;

import io.reloc.api.AccessHeat;
import io.reloc.api.BlockDevice;
import io.reloc.api.ForwardingBlockDevice;
import io.reloc.api.BlockSizes;
import io.reloc.api.Extent;
import io.reloc.api.HotRegion;
import io.reloc.api.ZeroFlag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A device that records where its clients read and write in a {@link HeatMap} and keeps the map
 * in a {@link HeatFile}: what {@code reloc serve} exports in target mode, so that a later
 * relocation can ask for the hot regions ({@link AccessHeat}) and copy them first.
 *
 * <p>The map is loaded when the device is opened, saved every {@code saveEvery} by a daemon
 * thread and on {@link #close()}. A save that fails (a read-only directory) is logged once as a
 * warning and retried at the next period; serving is never affected. Thread safe, like the
 * device it wraps.
 */
public final class HeatRecordingDevice extends ForwardingBlockDevice implements AccessHeat {
    private static final Logger log = LoggerFactory.getLogger(HeatRecordingDevice.class);
    /** How often the map is saved by default: a crash loses at most this much history. */
    public static final Duration DEFAULT_SAVE_EVERY = Duration.ofMinutes(1);

    private final HeatMap map;
    private final HeatFile file;
    private final InstantSource clock;
    private final Thread saver;
    private volatile boolean warned;
    private boolean closed;

    private HeatRecordingDevice(BlockDevice device, HeatMap map, HeatFile file, InstantSource clock, Duration saveEvery) {
        super(device);
        this.map = map;
        this.file = file;
        this.clock = clock;
        this.saver = saveEvery.isZero() ? null : Thread.ofPlatform().daemon().name("reloc-heat-save")
                .unstarted(() -> saveEvery(saveEvery));
    }

    /**
     * Wraps {@code device}, loading the heat map from {@code file} when it holds a valid one, and
     * starts saving it every {@code saveEvery} ({@link Duration#ZERO}: only on close).
     */
    public static HeatRecordingDevice open(BlockDevice device, HeatFile file, HeatMap.Config config, InstantSource clock,
                                           Duration saveEvery) {
        requireNonNull(device, "device is null");
        requireNonNull(file, "file is null");
        requireNonNull(saveEvery, "saveEvery is null");
        HeatMap map = new HeatMap(device.size(), config, clock);
        if (file.load(map, clock) == HeatFile.Outcome.LOADED) {
            log.debug("loaded heat map {}", file.path());
        }
        HeatRecordingDevice recording = new HeatRecordingDevice(device, map, file, clock, saveEvery);
        if (recording.saver != null) {
            recording.saver.start();
        }
        return recording;
    }

    /**
     * The device without recording: what a relocation peer reads through, since copying a disk
     * away is not a use of it and would make every region look equally hot. Not to be closed.
     */
    public BlockDevice unrecorded() {
        return delegate();
    }

    /** The live map. */
    public HeatMap heatMap() {
        return map;
    }

    @Override
    public List<HotRegion> hottest(int limit) {
        return map.hottest(limit);
    }

    /** Saves the map now; failures are logged, not thrown. */
    public void save() {
        try {
            file.save(map, clock);
            warned = false;
        } catch (IOException | RuntimeException e) {
            if (!warned) {
                warned = true;
                log.warn("cannot save heat map {} ({}); access history will not survive a restart", file.path(), e.getMessage());
            }
        }
    }

    private void saveEvery(Duration period) {
        try {
            while (true) {
                Thread.sleep(period);
                save();
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        map.record(offset, dst.remaining());
        delegate().read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        map.record(offset, src.remaining());
        delegate().write(offset, src, fua);
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        map.record(offset, length);
        delegate().writeZeroes(offset, length, flags);
    }

    /** Stops the periodic save, saves the map and closes the device. */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (saver != null) {
            saver.interrupt();
            try {
                saver.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        save();
        delegate().close();
    }
}
