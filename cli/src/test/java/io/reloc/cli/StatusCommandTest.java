package io.reloc.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusCommandTest {
    private static final String RELOCATING = "{\"state\":\"relocating\",\"activatedBy\":\"control\",\"blocksTotal\":4096,"
            + "\"blocksPresent\":1024,\"fractionPresent\":0.250000,\"bytesFromSource\":67108864,\"backgroundBytes\":50331648,"
            + "\"demandFetches\":12,\"backgroundFetches\":768,\"zeroBlocks\":0,\"source\":\"nbd://h:1/a\\\"b\","
            + "\"sourceConnected\":false,\"paused\":false,\"rateBytesPerSecond\":0}";

    @Test
    void fieldsAreReadFromTheFlatJson() {
        StatusJson status = new StatusJson(RELOCATING);
        assertEquals("relocating", status.state());
        assertEquals(4096, status.number("blocksTotal"));
        assertEquals("nbd://h:1/a\"b", status.text("source"));
        assertTrue(!status.flag("sourceConnected") && !status.complete());
        assertEquals(0, status.number("noSuchField"));
    }

    @Test
    void theLineShowsABarTheStateAndTheFigures() {
        String line = StatusCommand.render(new StatusJson(RELOCATING));
        assertTrue(line.startsWith("[" + "#".repeat(10) + ".".repeat(30) + "]  25.0%  relocating (source unreachable)"), line);
        assertTrue(line.contains("1024/4096 blocks") && line.contains("demand fetches 12"), line);
        assertTrue(line.contains("from source " + ByteSize.format(64L << 20)), line);
        assertTrue(!line.contains("link"), "no rate measured, none shown: " + line);
    }

    @Test
    void theMeasuredLinkRateEndsTheLine() {
        String measured = RELOCATING.replace("}", ",\"linkRateBytesPerSecond\":125000000}");
        String line = StatusCommand.render(new StatusJson(measured));
        assertTrue(line.endsWith("demand fetches 12  link 1.00 Gbit/s"), line);
        assertEquals(0, new StatusJson(measured).number("rateBytesPerSecond"), "the limit is another field");
    }
}
