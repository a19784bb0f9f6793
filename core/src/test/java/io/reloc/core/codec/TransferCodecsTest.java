package io.reloc.core.codec;

import io.reloc.api.TransferCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class TransferCodecsTest {
    private static final int BLOCK = 256 * 1024;

    static List<TransferCodec> codecs() {
        return List.of(new IdentityCodec(), new Lz4Codec(), new ZstdCodec(), new ZstdCodec(-5), new ZstdCodec(19),
                new DeflateCodec(), new DeflateCodec(1), new Bzip2Codec(), new Bzip2Codec(1), new XzCodec(),
                new XzCodec(0));
    }

    static List<TransferCodec> compressing() {
        return codecs().stream().filter(c -> !(c instanceof IdentityCodec)).toList();
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void roundTripsRandomZeroAndTextData(TransferCodec codec) {
        Random random = new Random(42);
        byte[] noise = new byte[BLOCK];
        random.nextBytes(noise);
        byte[] text = text(BLOCK + 3);
        for (byte[] data : List.of(noise, new byte[BLOCK], text, new byte[0], new byte[] {7})) {
            assertArrayEquals(data, roundTrip(codec, ByteBuffer.wrap(data)), codec + ", " + data.length + " bytes");
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
            assertArrayEquals(data, roundTrip(codec, direct), codec + ", direct, " + data.length + " bytes");
        }
    }

    @ParameterizedTest
    @MethodSource("compressing")
    void compressesZeroesAndText(TransferCodec codec) {
        int zeroes = codec.encode(ByteBuffer.allocate(BLOCK)).remaining();
        assertTrue(zeroes < BLOCK / 50, codec + " encodes " + BLOCK + " zero bytes in " + zeroes);
        int text = codec.encode(ByteBuffer.wrap(text(BLOCK))).remaining();
        assertTrue(text < BLOCK / 2, codec + " encodes text in " + text);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void encodesFromPositionToLimitAndAdvances(TransferCodec codec) {
        byte[] data = text(1000);
        ByteBuffer src = ByteBuffer.wrap(data, 100, 500).slice(10, 490);
        src.position(5);
        ByteBuffer encoded = codec.encode(src);
        assertEquals(src.limit(), src.position());
        assertEquals(0, encoded.position());
        ByteBuffer decoded = codec.decode(encoded, 485);
        assertEquals(encoded.limit(), encoded.position(), "decode must consume its input");
        assertEquals(0, decoded.position());
        // slice(10, 490) starts at index 10 of the wrapped array; position 5 skips five more.
        assertArrayEquals(Arrays.copyOfRange(data, 15, 500), bytes(decoded));
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void refusesTheWrongDecodedLength(TransferCodec codec) {
        byte[] data = text(10_000);
        ByteBuffer encoded = codec.encode(ByteBuffer.wrap(data));
        assertThrows(IllegalArgumentException.class, () -> codec.decode(encoded.duplicate(), data.length - 1));
        assertThrows(IllegalArgumentException.class, () -> codec.decode(encoded.duplicate(), data.length + 1));
        assertThrows(IllegalArgumentException.class, () -> codec.decode(encoded.duplicate(), 0));
        assertThrows(IllegalArgumentException.class, () -> codec.decode(encoded.duplicate(), -1));
        assertArrayEquals(data, bytes(codec.decode(encoded.duplicate(), data.length)));
    }

    @ParameterizedTest
    @MethodSource("compressing")
    void refusesCorruptInput(TransferCodec codec) {
        byte[] data = text(50_000);
        byte[] encoded = bytes(codec.encode(ByteBuffer.wrap(data)));

        assertThrows(IllegalArgumentException.class, () -> codec.decode(ByteBuffer.allocate(0), data.length));
        assertThrows(IllegalArgumentException.class,
                () -> codec.decode(ByteBuffer.wrap(encoded, 0, encoded.length / 2), data.length), "truncated");
        byte[] garbage = new byte[encoded.length];
        new Random(7).nextBytes(garbage);
        assertThrows(IllegalArgumentException.class, () -> codec.decode(ByteBuffer.wrap(garbage), data.length));

        // Flip single bytes throughout the payload: each must fail or still decode to the original.
        Random random = new Random(11);
        for (int i = 0; i < 200; i++) {
            byte[] corrupt = encoded.clone();
            int at = random.nextInt(corrupt.length);
            corrupt[at] ^= (byte) (1 + random.nextInt(255));
            try {
                byte[] decoded = bytes(codec.decode(ByteBuffer.wrap(corrupt), data.length));
                if (!Arrays.equals(data, decoded)) {
                    fail(codec + " silently decoded wrong data after corrupting byte " + at);
                }
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage().contains(codec.name()), expected.getMessage());
            }
        }
    }

    @Test
    void codecsAreSafeToShareBetweenThreads() throws Exception {
        byte[] data = text(100_000);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (TransferCodec codec : codecs()) {
                List<Future<byte[]>> results = pool.invokeAll(java.util.Collections.nCopies(8,
                        () -> roundTrip(codec, ByteBuffer.wrap(data))));
                for (Future<byte[]> result : results) {
                    assertArrayEquals(data, result.get(), codec.toString());
                }
            }
        }
    }

    @Test
    void levelsOutOfRangeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ZstdCodec(23));
        assertThrows(IllegalArgumentException.class, () -> new DeflateCodec(10));
        assertThrows(IllegalArgumentException.class, () -> new Bzip2Codec(0));
        assertThrows(IllegalArgumentException.class, () -> new XzCodec(10));
        assertEquals(3, new ZstdCodec().level());
    }

    private static byte[] roundTrip(TransferCodec codec, ByteBuffer src) {
        int length = src.remaining();
        ByteBuffer encoded = codec.encode(src);
        return bytes(codec.decode(encoded, length));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static byte[] text(int length) {
        String line = "The quick brown fox jumps over the lazy dog, block %d of a virtual disk image.\n";
        StringBuilder text = new StringBuilder(length + 100);
        for (int i = 0; text.length() < length; i++) {
            text.append(line.formatted(i));
        }
        return Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), length);
    }
}
