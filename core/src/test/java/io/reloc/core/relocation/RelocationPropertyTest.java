package io.reloc.core.relocation;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.ZeroFlag;
import io.reloc.testkit.ActionGenerator;
import io.reloc.testkit.PropertyRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Model-based test of the relocation engine: random sequences of client I/O, background copy,
 * crashes, source outages, writes at the source before switch-over, hybrid pre-copy rounds and
 * detach run against a {@link RelocatingDevice} and a byte-array model; after every step the two
 * must agree (DESIGN.md I1–I5). Failures print the seed and the shrunk sequence; replay with
 * {@code -Dreloc.seed=N}.
 */
class RelocationPropertyTest {
    private static final int BLOCK = 4096;
    private static final int SIZE = BLOCK * 12 + 1536; // a short last block on purpose

    @TempDir
    Path dir;

    sealed interface Action permits Read, Write, Zero, Trim, Flush, Copy, CopyRun, ZeroRun, Crash, SourceDown, SourceUp,
            Activate, Complete, Cache, SourceWrite, PrecopyRound, SourceRestart, Reopen {}

    record Read(int offset, int length) implements Action {}

    record Write(int offset, int length, byte fill, boolean fua) implements Action {}

    record Zero(int offset, int length, boolean noHole, boolean fua) implements Action {}

    /** Whole relocation blocks only: trimming part of an absent block is left undefined (advisory). */
    record Trim(int firstBlock, int blocks) implements Action {}

    record Flush() implements Action {}

    record Copy(int blocks) implements Action {}

    /** Background copy of a run of blocks with one source read. */
    record CopyRun(int firstBlock, int blocks) implements Action {}

    /** Background install of the first absent block the source reports as zero, without transfer. */
    record ZeroRun(int blocks) implements Action {}

    record Crash() implements Action {}

    record SourceDown() implements Action {}

    record SourceUp() implements Action {}

    record Activate() implements Action {}

    record Complete() implements Action {}

    record Cache(int offset, int length) implements Action {}

    /** The VM writes at the source before switch-over (ignored once the relocation is active). */
    record SourceWrite(int offset, int length, byte fill) implements Action {}

    /** A round of iterative pre-copy: the engine forgets the pre-copied blocks the source rewrote. */
    record PrecopyRound() implements Action {}

    /** The source server restarts: it forgets its write-tracking sessions. */
    record SourceRestart() implements Action {}

    /** The proxy stops cleanly and starts again with another mode (with the source reachable). */
    record Reopen(StartMode mode) implements Action {}

    /** Standby sequences: the base actions and, now and then, a write at the source. */
    private static final ActionGenerator<Action> GENERATOR = (random, sofar) -> {
        if (random.nextInt(10) == 0) {
            return sourceWrite(random);
        }
        return base(random);
    };

    /** Pre-copy sequences: fewer client writes (one ends pre-copy), more copying and source writes. */
    private static final ActionGenerator<Action> PRECOPY_GENERATOR = (random, sofar) -> {
        int roll = random.nextInt(100);
        if (roll < 15) {
            return sourceWrite(random);
        } else if (roll < 25) {
            return new Copy(1 + random.nextInt(6));
        } else if (roll < 32) {
            return new CopyRun(random.nextInt((int) new BlockGeometry(SIZE, BLOCK).blockCount()), 1 + random.nextInt(5));
        } else if (roll < 39) {
            return new PrecopyRound();
        } else if (roll < 45) {
            int[] r = range(random);
            return new Read(r[0], r[1]);
        } else if (roll < 52) {
            return new Crash();
        } else if (roll < 55) {
            return new Reopen(StartMode.values()[random.nextInt(StartMode.values().length)]);
        } else if (roll < 58) {
            return new SourceRestart();
        } else if (roll < 62) {
            return new SourceDown();
        } else if (roll < 67) {
            return new SourceUp();
        } else if (roll < 71) {
            return new Activate();
        } else if (roll < 76) {
            return new Flush();
        }
        return base(random);
    };

    private static SourceWrite sourceWrite(RandomGenerator random) {
        int[] r = range(random);
        return new SourceWrite(r[0], r[1], (byte) (1 + random.nextInt(255)));
    }

    private static Action base(RandomGenerator random) {
        int roll = random.nextInt(100);
        if (roll < 22) {
            int[] r = range(random);
            return new Read(r[0], r[1]);
        } else if (roll < 44) {
            int[] r = range(random);
            return new Write(r[0], r[1], (byte) (1 + random.nextInt(255)), random.nextInt(5) == 0);
        } else if (roll < 50) {
            int[] r = range(random);
            return new Zero(r[0], r[1], random.nextBoolean(), random.nextInt(5) == 0);
        } else if (roll < 54) {
            int blocks = (int) new BlockGeometry(SIZE, BLOCK).blockCount();
            int first = random.nextInt(blocks);
            return new Trim(first, 1 + random.nextInt(blocks - first));
        } else if (roll < 62) {
            return new Flush();
        } else if (roll < 68) {
            return new Copy(1 + random.nextInt(6));
        } else if (roll < 72) {
            return new CopyRun(random.nextInt((int) new BlockGeometry(SIZE, BLOCK).blockCount()), 1 + random.nextInt(5));
        } else if (roll < 74) {
            return new ZeroRun(1 + random.nextInt(3));
        } else if (roll < 81) {
            return new Crash();
        } else if (roll < 85) {
            return new SourceDown();
        } else if (roll < 90) {
            return new SourceUp();
        } else if (roll < 93) {
            return new Activate();
        } else if (roll < 97) {
            return new Complete();
        } else {
            int[] r = range(random);
            return new Cache(r[0], r[1]);
        }
    }

    /** Ranges biased towards block edges, where partial-block logic lives. */
    private static int[] range(RandomGenerator random) {
        int offset = switch (random.nextInt(3)) {
            case 0 -> random.nextInt(SIZE);
            case 1 -> random.nextInt(SIZE / BLOCK + 1) * BLOCK;
            default -> Math.max(0, random.nextInt(SIZE / BLOCK + 1) * BLOCK - 1 - random.nextInt(600));
        };
        offset = Math.min(offset, SIZE);
        int max = Math.min(SIZE - offset, 3 * BLOCK);
        int length = switch (random.nextInt(3)) {
            case 0 -> random.nextInt(max + 1);
            case 1 -> Math.min(max, BLOCK * random.nextInt(3));
            default -> Math.min(max, 1 + random.nextInt(700));
        };
        return new int[] {offset, length};
    }

    private static List<Action> simpler(Action action) {
        return switch (action) {
            case Write w when w.length() > 1 -> List.of(new Write(w.offset(), w.length() / 2, w.fill(), w.fua()),
                    new Write(w.offset(), w.length(), w.fill(), false));
            case Read r when r.length() > 1 -> List.of(new Read(r.offset(), r.length() / 2));
            case Copy c when c.blocks() > 1 -> List.of(new Copy(c.blocks() - 1));
            case SourceWrite w when w.length() > 1 -> List.of(new SourceWrite(w.offset(), w.length() / 2, w.fill()));
            default -> List.of();
        };
    }

    @Test
    void engineAgreesWithTheModel() {
        new PropertyRunner<>(GENERATOR, RelocationPropertyTest::simpler)
                .sequences(300)
                .length(1, 60)
                .check("relocation engine matches a byte-array model", actions -> run(actions, StartMode.STANDBY));
    }

    @Test
    void precopyAgreesWithTheModel() {
        new PropertyRunner<>(PRECOPY_GENERATOR, RelocationPropertyTest::simpler)
                .sequences(300)
                .length(1, 60)
                .check("hybrid pre-copy matches a byte-array model", actions -> run(actions, StartMode.PRECOPY));
    }

    /** One sequence against a fresh relocation started in {@code mode}. */
    private void run(List<Action> actions, StartMode mode) throws IOException {
        Path caseDir = Files.createTempDirectory(dir, "case");
        byte[] content = new byte[SIZE];
        new Random(actions.size()).nextBytes(content);
        // Whole zero blocks (which the source reports as holes) and a partly zero one.
        java.util.Arrays.fill(content, 3 * BLOCK, 5 * BLOCK, (byte) 0);
        java.util.Arrays.fill(content, 7 * BLOCK, 8 * BLOCK, (byte) 0);
        java.util.Arrays.fill(content, 9 * BLOCK, 9 * BLOCK + BLOCK / 2, (byte) 0);
        TestSource source = new TestSource(content);
        CrashableStore cache = new CrashableStore(SIZE);
        MapFile mapFile = new MapFile(caseDir.resolve("disk.map"));
        Model model = new Model(content);
        RelocatingDevice device = RelocatingDevice.open(cache, source, mapFile, BLOCK, "test", "cache-1", mode);
        StartMode launch = mode;
        int step = 0;
        for (Action action : actions) {
            step++;
            String where = "step " + step + " " + action;
            final RelocatingDevice d = device;
            switch (action) {
                case Read r -> {
                    ByteBuffer got = ByteBuffer.allocate(r.length());
                    if (attempt(where, source, () -> d.read(r.offset(), got))) {
                        model.expect(where, r.offset(), got.array());
                    }
                }
                case Write w -> {
                    byte[] data = new byte[w.length()];
                    Arrays.fill(data, w.fill());
                    if (attempt(where, source, () -> d.write(w.offset(), ByteBuffer.wrap(data), w.fua()))) {
                        model.write(w.offset(), data, w.fua());
                    }
                }
                case Zero z -> {
                    Set<ZeroFlag> flags = EnumSet.noneOf(ZeroFlag.class);
                    if (z.noHole()) flags.add(ZeroFlag.NO_HOLE);
                    if (z.fua()) flags.add(ZeroFlag.FUA);
                    if (attempt(where, source, () -> d.writeZeroes(z.offset(), z.length(), flags))) {
                        model.write(z.offset(), new byte[z.length()], z.fua());
                    }
                }
                case Trim t -> {
                    BlockGeometry g = device.geometry();
                    long start = g.start(t.firstBlock());
                    long end = g.start(t.firstBlock() + t.blocks() - 1) + g.length(t.firstBlock() + t.blocks() - 1);
                    device.trim(start, end - start, false);
                    model.write((int) start, new byte[(int) (end - start)], false);
                }
                case Flush f -> {
                    device.flush();
                    model.flushed();
                }
                case Copy c -> {
                    for (int i = 0; i < c.blocks(); i++) {
                        long block = device.nextAbsent(0);
                        if (block >= 0) {
                            attempt(where, source, () -> d.copyInBackground(block));
                        }
                    }
                }
                case CopyRun r -> attempt(where, source, () -> d.copyRun(r.firstBlock(), r.blocks()));
                case ZeroRun z -> {
                    // The copier zeroes only runs the source reports as zero; do the same.
                    BlockGeometry g = d.geometry();
                    for (long b = source.down ? -1 : d.nextAbsent(0); b >= 0; b = d.nextAbsent(b + 1)) {
                        int run = 0;
                        while (run < z.blocks() && b + run < g.blockCount() && sourceBlockIsZero(source, g, b + run)) {
                            run++;
                        }
                        if (run > 0) {
                            d.installZeroRun(b, run);
                            break;
                        }
                    }
                }
                case Crash c -> {
                    cache.crash();
                    source.detached = false;
                    RelocatingDevice reopened = RelocatingDevice.open(cache, source, mapFile, BLOCK, "test", "cache-1", launch);
                    model.crashed();
                    device = reopened;
                    source.detached = device.state() == RelocationState.COMPLETE;
                }
                case SourceDown down -> source.down = true;
                case SourceUp u -> source.down = false;
                case Activate a -> device.activate(ActivationTrigger.CONTROL);
                case Complete c -> {
                    boolean wasComplete = device.state() == RelocationState.COMPLETE;
                    if (device.complete()) {
                        source.detached = true;
                        if (!wasComplete) {
                            model.flushed(); // detaching makes the data and the full map durable
                        }
                    }
                }
                case Cache c -> attempt(where, source, () -> d.cache(c.offset(), c.length()));
                case SourceWrite w -> {
                    // Only before switch-over: afterwards the source must not change.
                    if (d.state() == RelocationState.STANDBY || d.state() == RelocationState.PRECOPY) {
                        byte[] data = new byte[w.length()];
                        Arrays.fill(data, w.fill());
                        source.writeAtSource(w.offset(), data);
                        model.sourceWrite(w.offset(), data);
                    }
                }
                case PrecopyRound r -> attempt(where, source, d::refreshPrecopy);
                case SourceRestart r -> source.restart();
                case Reopen r -> {
                    device.close();
                    model.flushed(); // close flushes the cache (and writes the map unless complete)
                    source.down = false;
                    source.detached = false;
                    launch = r.mode();
                    device = RelocatingDevice.open(cache, source, mapFile, BLOCK, "test", "cache-1", launch);
                    source.detached = device.state() == RelocationState.COMPLETE;
                }
            }
            if (source.violation != null) {
                throw new AssertionError(where + ": " + source.violation);
            }
        }
        // A full read-back only at the end: done after every step it would fetch every block and
        // leave nothing absent for the rest of the sequence to exercise.
        source.down = false;
        // Through the cache, so that pre-copied blocks are checked too.
        device.activate(ActivationTrigger.CONTROL);
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        device.read(0, all);
        model.expect("final read-back", 0, all.array());
        if (source.violation != null) {
            throw new AssertionError("final read-back: " + source.violation);
        }
    }

    private static boolean sourceBlockIsZero(TestSource source, BlockGeometry g, long block) throws IOException {
        var extent = source.extents(g.start(block), g.length(block)).get(0);
        return extent.zero() && extent.length() == g.length(block);
    }

    /**
     * Runs an operation that may fail only because the source is down, and then only with EIO.
     * Returns whether it succeeded.
     */
    private static boolean attempt(String where, TestSource source, IoCall call) throws IOException {
        try {
            call.run();
            return true;
        } catch (BlockDeviceException e) {
            if (source.down && e.error() == BlockError.IO) {
                return false;
            }
            throw new AssertionError(where + ": unexpected failure " + e.error() + ": " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface IoCall {
        void run() throws IOException;
    }

    /** What the disk must read as now, and what must survive a crash. */
    private static final class Model {
        private final byte[] current;
        private byte[] durable;

        Model(byte[] source) {
            current = source.clone();
            durable = source.clone();
        }

        void write(int offset, byte[] data, boolean fua) {
            System.arraycopy(data, 0, current, offset, data.length);
            if (fua) {
                // FUA makes the engine persist the whole map (and so every completed write).
                flushed();
            }
        }

        /** Before switch-over the disk reads as the source, crash or not. */
        void sourceWrite(int offset, byte[] data) {
            System.arraycopy(data, 0, current, offset, data.length);
            System.arraycopy(data, 0, durable, offset, data.length);
        }

        void flushed() {
            durable = current.clone();
        }

        void crashed() {
            System.arraycopy(durable, 0, current, 0, current.length);
        }

        void expect(String where, int offset, byte[] got) {
            byte[] want = Arrays.copyOfRange(current, offset, offset + got.length);
            if (!Arrays.equals(want, got)) {
                int i = Arrays.mismatch(want, got);
                throw new AssertionError(where + ": byte " + (offset + i) + " reads " + got[i] + ", expected " + want[i]);
            }
        }
    }

    @Test
    void modelDetectsALostWrite() throws IOException {
        // The check itself must be able to fail: a model that was written but a device that was not.
        Model model = new Model(new byte[16]);
        model.write(0, new byte[] {1}, false);
        AssertionError error = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> model.expect("probe", 0, new byte[16]));
        assertEquals(true, error.getMessage().contains("byte 0"));
    }

    static List<Action> listOf(Action... actions) {
        return new ArrayList<>(List.of(actions));
    }
}
