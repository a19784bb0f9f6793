package io.reloc.cli;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LogLevelsTest {

    private static CliContext.LogSettings settings(boolean verbose, boolean quiet) {
        CliContext.LogSettings s = new CliContext.LogSettings();
        if (verbose) {
            s.setVerbose();
        }
        if (quiet) {
            s.setQuiet();
        }
        return s;
    }

    @Test
    void infoByDefault() {
        assertEquals("INFO", LogLevels.choose(settings(false, false), Map.of()));
        assertEquals("INFO", LogLevels.choose(settings(false, false), Map.of("RELOC_LOG_LEVEL", " ")));
    }

    @Test
    void environmentSetsTheLevelInAnyCase() {
        assertEquals("TRACE", LogLevels.choose(settings(false, false), Map.of("RELOC_LOG_LEVEL", "trace")));
        assertEquals("OFF", LogLevels.choose(settings(false, false), Map.of("RELOC_LOG_LEVEL", "OFF")));
    }

    @Test
    void flagsWinOverTheEnvironment() {
        assertEquals("DEBUG", LogLevels.choose(settings(true, false), Map.of("RELOC_LOG_LEVEL", "ERROR")));
        assertEquals("WARN", LogLevels.choose(settings(false, true), Map.of("RELOC_LOG_LEVEL", "TRACE")));
    }

    @Test
    void rejectsBothFlagsAndUnknownLevels() {
        assertThrows(UsageException.class, () -> LogLevels.choose(settings(true, true), Map.of()));
        assertThrows(UsageException.class, () -> LogLevels.choose(settings(false, false), Map.of("RELOC_LOG_LEVEL", "loud")));
    }
}
