package io.reloc.core.heat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when told. */
final class FakeClock implements InstantSource {
    private volatile long millis = 1_700_000_000_000L;

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
        return millis;
    }

    void advance(Duration by) {
        millis += by.toMillis();
    }
}
