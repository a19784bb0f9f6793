package io.reloc.core.store;

import io.reloc.core.store.LinuxFiles.ErrnoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WritebackTest {
    @TempDir
    Path dir;

    /** Records the ranges a {@link Writeback} starts, failing with {@code errno} when it is not 0. */
    private static final class Recorder implements Writeback.Starter {
        final List<long[]> started = new ArrayList<>();
        int errno;

        @Override
        public synchronized void start(long offset, long length) throws ErrnoException {
            started.add(new long[] {offset, length});
            if (errno != 0) {
                throw new ErrnoException("sync_file_range", errno);
            }
        }
    }

    @Test
    void startsTheSpanWrittenSinceTheLastStartOnceTheThresholdIsReached() {
        Recorder recorder = new Recorder();
        Writeback writeback = new Writeback(recorder, 100);
        writeback.written(0, 40);
        writeback.written(40, 40);
        assertEquals(0, recorder.started.size(), "80 bytes are below the threshold");
        writeback.written(200, 30);
        assertEquals(1, recorder.started.size());
        assertEquals(List.of(0L, 230L), List.of(recorder.started.get(0)[0], recorder.started.get(0)[1]));

        writeback.written(500, 60);
        writeback.written(300, 50);
        assertEquals(2, recorder.started.size(), "the count starts again after a start");
        assertEquals(List.of(300L, 260L), List.of(recorder.started.get(1)[0], recorder.started.get(1)[1]));
    }

    @Test
    void aThresholdOfZeroNeverStartsWriteback() {
        Recorder recorder = new Recorder();
        Writeback writeback = new Writeback(recorder, 0);
        for (int i = 0; i < 1000; i++) {
            writeback.written(i * 4096L, 4096);
        }
        assertEquals(0, recorder.started.size());
    }

    @Test
    void anUnsupportedCallIsNotTriedAgainButAnIoErrorIs() {
        Recorder unsupported = new Recorder();
        unsupported.errno = LinuxFiles.EINVAL;
        Writeback once = new Writeback(unsupported, 10);
        for (int i = 0; i < 5; i++) {
            once.written(i * 10L, 10);
        }
        assertEquals(1, unsupported.started.size(), "EINVAL: the file cannot do it, so no more tries");

        Recorder failing = new Recorder();
        failing.errno = 5; // EIO: the next fdatasync reports it; writeback goes on being started
        Writeback again = new Writeback(failing, 10);
        for (int i = 0; i < 5; i++) {
            again.written(i * 10L, 10);
        }
        assertEquals(5, failing.started.size());
    }

    @Test
    void concurrentWritersStartOncePerThresholdOfBytes() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        Writeback writeback = new Writeback((offset, length) -> starts.incrementAndGet(), 100);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (int t = 0; t < 4; t++) {
                long base = t * 1_000_000L;
                pool.submit(() -> {
                    for (int i = 0; i < 1000; i++) {
                        writeback.written(base + i * 10L, 10);
                    }
                });
            }
        }
        assertEquals(4 * 1000 * 10 / 100, starts.get());
    }

    @Test
    void theSystemCallWorksOnAStoreFileAndReportsABadDescriptor() throws IOException {
        Path file = dir.resolve("disk.img");
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(8 << 20), false)) {
            ByteBuffer data = ByteBuffer.allocateDirect(4 << 20);
            store.write(0, data, false);
            store.flush();
        }
        int fd = LinuxFiles.open(file.toString(), LinuxFiles.O_RDWR | LinuxFiles.O_CLOEXEC, 0);
        try {
            LinuxFiles.startWriteback(fd, 0, 8 << 20);
        } finally {
            LinuxFiles.close(fd);
        }
        ErrnoException bad = assertThrows(ErrnoException.class, () -> LinuxFiles.startWriteback(fd, 0, 4096));
        assertEquals(9, bad.errno(), "EBADF on a closed descriptor");
    }
}
