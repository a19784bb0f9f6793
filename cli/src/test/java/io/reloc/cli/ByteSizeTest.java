package io.reloc.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteSizeTest {

    @Test
    void parsesBinaryUnits() {
        assertEquals(4096, ByteSize.parse("4096"));
        assertEquals(256L << 20, ByteSize.parse("256M"));
        assertEquals(256L << 20, ByteSize.parse("256MiB"));
        assertEquals(1L << 30, ByteSize.parse("1g"));
        assertEquals(3L << 10, ByteSize.parse("3 KB"));
        assertEquals(2L << 40, ByteSize.parse("2T"));
    }

    @Test
    void rejectsGarbageAndOverflow() {
        assertThrows(UsageException.class, () -> ByteSize.parse("lots"));
        assertThrows(UsageException.class, () -> ByteSize.parse("-1M"));
        assertThrows(UsageException.class, () -> ByteSize.parse("1.5G"));
        assertThrows(UsageException.class, () -> ByteSize.parse("9999999999T"));
        assertThrows(UsageException.class, () -> ByteSize.parse("99999999999999999999"));
    }

    @Test
    void ratesAreSizesOrDecimalBits() {
        assertEquals(50L << 20, ByteSize.parseRate("50M"));
        assertEquals(11_875_000, ByteSize.parseRate("95mbit"));
        assertEquals(125_000_000, ByteSize.parseRate("1Gbit"));
        assertEquals(62_500, ByteSize.parseRate("500 kbit"));
        assertEquals(12_500_000, ByteSize.parseRate("100.0mbit"));
        assertEquals(0, ByteSize.parseRate("0"));
        UsageException e = assertThrows(UsageException.class, () -> ByteSize.parseRate("95mbps"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("95mbit"), e.getMessage());
        assertThrows(UsageException.class, () -> ByteSize.parseRate("-5mbit"));
    }

    @Test
    void bitRatesPrintInTheUnitOfTheirSizeAndParseBack() {
        assertEquals("99.6 Mbit/s", ByteSize.formatBitRate(12_450_000));
        assertEquals("1.00 Gbit/s", ByteSize.formatBitRate(125_000_000));
        assertEquals("1.0 Mbit/s", ByteSize.formatBitRate(125_000));
        assertEquals("800 kbit/s", ByteSize.formatBitRate(100_000));
        for (long rate : new long[] {12_450_000, 125_000_000, 125_000, 100_000}) {
            assertEquals(rate, ByteSize.parseRate(ByteSize.formatBitRate(rate)), "what is shown is what --rate takes");
        }
    }

    @Test
    void formatsShortly() {
        assertEquals("512 B", ByteSize.format(512));
        assertEquals("256 MiB", ByteSize.format(256L << 20));
        assertEquals("1.5 GiB", ByteSize.format(3L << 29));
    }

    @Test
    void demoSizeMustBeWholeSectors() {
        assertEquals(64L << 20, DemoCommand.parseSize("64M"));
        assertThrows(UsageException.class, () -> DemoCommand.parseSize("1000000"));
        assertThrows(UsageException.class, () -> DemoCommand.parseSize("4K"));
    }
}
