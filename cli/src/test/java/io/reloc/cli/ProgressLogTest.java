package io.reloc.cli;

import io.reloc.core.relocation.ActivationTrigger;
import io.reloc.core.relocation.ProxyStatus;
import io.reloc.core.relocation.RelocationState;
import io.reloc.core.relocation.RelocationStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressLogTest {
    @Test
    void theLineNamesTheStateAndTheFigures() {
        var relocation = new RelocationStatus(RelocationState.ACTIVE, ActivationTrigger.CONTROL, 400, 100, 3, 97, 0);
        var status = new ProxyStatus(relocation, "nbd://h:1/vm1", true, true, 0, 6L << 20, 5L << 20, false, 0);
        assertEquals("paused: 25.0% local (100 of 400 blocks), " + ByteSize.format(6L << 20) + " from the source ("
                + ByteSize.format(5L << 20) + " background), 3 demand fetches", ProgressLog.line(status));
    }

    @Test
    void aMeasuredLinkRateIsNamedInBitsAsLimitsAreGiven() {
        var relocation = new RelocationStatus(RelocationState.ACTIVE, ActivationTrigger.CONTROL, 400, 100, 3, 97, 0);
        var status = new ProxyStatus(relocation, "nbd://h:1/vm1", true, false, 0, 6L << 20, 5L << 20, false, 12_450_000);
        assertTrue(ProgressLog.line(status).endsWith("3 demand fetches, link measured at 99.6 Mbit/s"), ProgressLog.line(status));
    }
}
