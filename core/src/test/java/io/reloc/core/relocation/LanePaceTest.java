package io.reloc.core.relocation;

import io.reloc.core.net.ReplyPacing;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The rate limit reaches the background lane's server when it is set, changed and lifted, once each. */
class LanePaceTest {
    @Test
    void theLaneIsToldEachNewLimit() {
        List<Long> told = new ArrayList<>();
        ReplyPacing lane = told::add;
        RateLimiter limit = new RateLimiter(0);
        LanePace pace = new LanePace(lane, limit);
        pace.update();
        assertEquals(List.of(), told, "no limit: nothing to ask");
        limit.setRate(11_600_000);
        pace.update();
        pace.update();
        assertEquals(List.of(11_948_000L), told, "the limit and 3% for the pacer's cruising below it");
        limit.setRate(5_000_000);
        pace.update();
        limit.setRate(0);
        pace.update();
        assertEquals(List.of(11_948_000L, 5_150_000L, 0L), told, "lifted: the server sends as fast as it can again");
    }
}
