package io.reloc.core.store;

import io.reloc.core.store.LinuxFiles.ErrnoException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PageCacheReleaseTest {
    /** Records the calls a {@link PageCacheRelease} makes, failing with {@code errno} when it is not 0. */
    private static final class Recorder implements PageCacheRelease.Calls {
        final List<String> calls = new ArrayList<>();
        int errno;

        @Override
        public synchronized void startWriteback(long offset, long length) throws ErrnoException {
            record("start " + offset + "+" + length);
        }

        @Override
        public synchronized void writeAndDrop(long offset, long length) throws ErrnoException {
            record("drop " + offset + "+" + length);
        }

        private void record(String call) throws ErrnoException {
            calls.add(call);
            if (errno != 0) {
                throw new ErrnoException("sync_file_range", errno);
            }
        }
    }

    @Test
    void startsWritebackAtOnceAndDropsTheOldestRangesBeyondTheLag() {
        Recorder recorder = new Recorder();
        PageCacheRelease release = new PageCacheRelease(recorder, 100);
        release.released(0, 60);
        release.released(60, 40);
        assertEquals(List.of("start 0+60", "start 60+40"), recorder.calls, "100 bytes are within the lag");
        release.released(500, 30);
        assertEquals(List.of("start 0+60", "start 60+40", "start 500+30", "drop 0+60"), recorder.calls,
                "130 bytes: the oldest range goes, 70 stay");
        release.released(1000, 200);
        assertEquals(List.of("start 1000+200", "drop 60+40", "drop 500+30", "drop 1000+200"),
                recorder.calls.subList(4, 8), "a range larger than the lag goes at once, after the older ones");
    }

    @Test
    void aLagOfZeroReleasesNothing() {
        Recorder recorder = new Recorder();
        PageCacheRelease release = new PageCacheRelease(recorder, 0);
        for (int i = 0; i < 100; i++) {
            release.released(i * 4096L, 4096);
        }
        assertEquals(List.of(), recorder.calls);
    }

    @Test
    void anUnsupportedCallIsNotTriedAgainButAnIoErrorIs() {
        Recorder unsupported = new Recorder();
        unsupported.errno = LinuxFiles.ENOSYS;
        PageCacheRelease once = new PageCacheRelease(unsupported, 10);
        for (int i = 0; i < 5; i++) {
            once.released(i * 10L, 10);
        }
        assertEquals(List.of("start 0+10"), unsupported.calls, "ENOSYS: the kernel cannot do it, so no more tries");

        Recorder failing = new Recorder();
        failing.errno = 5; // EIO: the next fdatasync reports it; the hint goes on being followed
        PageCacheRelease again = new PageCacheRelease(failing, 10);
        for (int i = 0; i < 5; i++) {
            again.released(i * 10L, 10);
        }
        assertEquals(5, failing.calls.size());
    }
}
