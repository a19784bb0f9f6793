package io.reloc.iscsi.pdu;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PduReaderTest {

    /** A channel over bytes that hands out at most a random number of them per read. */
    private static final class ChunkedChannel implements ReadableByteChannel {
        private final byte[] bytes;
        private final Random random;
        private final int maxChunk;
        private int position;

        ChunkedChannel(byte[] bytes, Random random, int maxChunk) {
            this.bytes = bytes;
            this.random = random;
            this.maxChunk = maxChunk;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (position == bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(dst.remaining(), bytes.length - position), 1 + random.nextInt(maxChunk));
            dst.put(bytes, position, n);
            position += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    private static Pdu dataOut(int itt, byte[] data) {
        return Pdu.create(Opcode.DATA_OUT).flags(0x80).itt(itt).intAt(40, 0).data(data);
    }

    private static byte[] wire(PduCodec codec, List<Pdu> pdus) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Pdu p : pdus) {
            codec.write(out, p);
        }
        return out.toByteArray();
    }

    /**
     * PDUs of many sizes (empty, unaligned, larger than the read buffer), delivered in random
     * chunks, come back whole whichever way their data is consumed, with and without digests.
     */
    @Test
    void readsEveryPduWhicheverWayItsDataIsConsumed() throws IOException {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        Random random = new Random(seed);
        for (int digests = 0; digests < 4; digests++) {
            boolean header = (digests & 1) != 0;
            boolean data = (digests & 2) != 0;
            PduCodec codec = new PduCodec(1 << 20);
            codec.digests(header, data);
            List<Pdu> sent = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                int length = switch (random.nextInt(4)) {
                    case 0 -> 0;
                    case 1 -> random.nextInt(16);
                    case 2 -> random.nextInt(4096);
                    default -> random.nextInt(300_000);
                };
                byte[] payload = new byte[length];
                random.nextBytes(payload);
                sent.add(dataOut(i, payload));
            }
            byte[] bytes = wire(codec, sent);
            PduReader reader = new PduReader(new ChunkedChannel(bytes, random, 1 + random.nextInt(100_000)), 4096,
                    1 << 20);
            reader.digests(header, data);
            for (Pdu expected : sent) {
                Pdu got = reader.readHeader();
                assertEquals(expected.itt(), got.itt(), "seed " + seed);
                assertEquals(expected.data().length, got.dataSegmentLength(), "seed " + seed);
                switch (random.nextInt(3)) {
                    case 0 -> assertArrayEquals(expected.data(), reader.readData(), "seed " + seed);
                    case 1 -> {
                        ByteBuffer dst = ByteBuffer.allocateDirect(got.dataSegmentLength() + 8).position(3);
                        dst.limit(3 + got.dataSegmentLength());
                        reader.readData(dst);
                        assertEquals(dst.limit(), dst.position());
                        byte[] back = new byte[got.dataSegmentLength()];
                        dst.get(3, back);
                        assertArrayEquals(expected.data(), back, "seed " + seed);
                    }
                    default -> reader.skipData();
                }
            }
            assertNull(reader.readHeader(), "a clean end of stream after the last PDU");
        }
    }

    @Test
    void wrongDataDigestFailsBothWaysOfReading() throws IOException {
        PduCodec codec = new PduCodec(8192);
        codec.digests(false, true);
        byte[] wire = codec.encode(dataOut(7, new byte[] {1, 2, 3, 4, 5}));
        wire[wire.length - 1] ^= 1;
        for (int way = 0; way < 2; way++) {
            PduReader reader = new PduReader(new ChunkedChannel(wire, new Random(1), 7), 64, 8192);
            reader.digests(false, true);
            Pdu header = reader.readHeader();
            PduException e = assertThrows(PduException.class, way == 0 ? reader::readData
                    : () -> reader.readData(ByteBuffer.allocate(header.dataSegmentLength())));
            assertEquals(PduException.Kind.DATA_DIGEST, e.kind());
            assertEquals(7, e.pdu().itt());
        }
    }

    @Test
    void wrongHeaderDigestFails() throws IOException {
        PduCodec codec = new PduCodec(8192);
        codec.digests(true, false);
        byte[] wire = codec.encode(dataOut(7, new byte[4]));
        wire[48] ^= 1;
        PduReader reader = new PduReader(new ChunkedChannel(wire, new Random(2), 100), 64, 8192);
        reader.digests(true, false);
        assertEquals(PduException.Kind.HEADER_DIGEST, assertThrows(PduException.class, reader::readHeader).kind());
    }

    @Test
    void refusesASegmentLongerThanAllowed() throws IOException {
        byte[] wire = new PduCodec(1 << 20).encode(dataOut(1, new byte[9000]));
        PduReader reader = new PduReader(new ChunkedChannel(wire, new Random(3), 100), 64, 8192);
        assertEquals(PduException.Kind.MALFORMED, assertThrows(PduException.class, reader::readHeader).kind());
    }

    @Test
    void endOfStreamInsideDataIsAnError() throws IOException {
        byte[] wire = new PduCodec(8192).encode(dataOut(1, new byte[1000]));
        byte[] cut = java.util.Arrays.copyOf(wire, 48 + 500);
        PduReader reader = new PduReader(new ChunkedChannel(cut, new Random(4), 100), 64, 8192);
        Pdu header = reader.readHeader();
        assertThrows(EOFException.class, () -> reader.readData(ByteBuffer.allocateDirect(header.dataSegmentLength())));
    }

    @Test
    void theDataOfAHeaderMustBeConsumedFirst() throws IOException {
        PduCodec codec = new PduCodec(8192);
        byte[] wire = wire(codec, List.of(dataOut(1, new byte[10]), dataOut(2, new byte[0])));
        PduReader reader = new PduReader(new ChunkedChannel(wire, new Random(5), 100), 64, 8192);
        reader.readHeader();
        assertThrows(IllegalStateException.class, reader::readHeader);
        assertThrows(IllegalArgumentException.class, () -> reader.readData(ByteBuffer.allocate(9)));
    }
}
