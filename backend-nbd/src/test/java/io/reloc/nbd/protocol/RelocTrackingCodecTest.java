package io.reloc.nbd.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.BitSet;

import static io.reloc.nbd.protocol.NbdConstants.CHUNK_RELOC_DIRTY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Write tracking's wire formats, from bytes. */
class RelocTrackingCodecTest {

    @Test
    void optionAndSessionRoundTrip() throws Exception {
        assertEquals("vm1", RelocTracking.decodeOption(RelocTracking.encodeOption("vm1")));
        ByteBuffer reply = ByteBuffer.allocate(64);
        RelocTracking.encodeSession(reply, 9, 0x1234_5678_9abcL);
        reply.flip();
        ChunkHeader header = ChunkHeader.decode(reply);
        assertTrue(header.done());
        assertEquals(NbdConstants.CHUNK_RELOC_SESSION, header.type());
        assertEquals(0x1234_5678_9abcL, RelocTracking.decodeSession(reply));
    }

    @Test
    void aLargeDirtySetSpansChunksAndComesBackWhole() throws Exception {
        BitSet blocks = new BitSet();
        for (int b = 0; b < 3 * RelocTracking.MAX_RUNS_PER_CHUNK; b++) {
            blocks.set(b * 3, b * 3 + 1 + b % 2); // runs of 1 and 2 blocks
        }
        ByteBuffer wire = ByteBuffer.allocate(RelocTracking.dirtySize(blocks));
        RelocTracking.encodeDirty(wire, 5, 4, blocks);
        assertFalse(wire.hasRemaining(), "dirtySize is exact");
        wire.flip();
        BitSet decoded = new BitSet();
        int chunks = 0;
        boolean done = false;
        while (!done) {
            ChunkHeader header = ChunkHeader.decode(wire);
            assertEquals(CHUNK_RELOC_DIRTY, header.type());
            ByteBuffer payload = wire.slice(wire.position(), (int) header.length());
            wire.position(wire.position() + (int) header.length());
            RelocTracking.DirtyChunk chunk = RelocTracking.decodeDirty(payload, 1 << 20,
                    run -> decoded.set(run[0], run[0] + run[1]));
            assertTrue(chunk.known());
            assertEquals(4, chunk.round());
            done = header.done();
            chunks++;
        }
        assertEquals(3, chunks);
        assertEquals(blocks, decoded);
    }

    @Test
    void anEmptyAnswerAndAnUnknownSessionAreOneChunkEach() throws Exception {
        ByteBuffer wire = ByteBuffer.allocate(RelocTracking.dirtySize(new BitSet()));
        RelocTracking.encodeDirty(wire, 1, 1, new BitSet());
        wire.flip();
        assertTrue(ChunkHeader.decode(wire).done());
        assertTrue(RelocTracking.decodeDirty(wire, 10, run -> { throw new AssertionError("no runs"); }).known());

        ByteBuffer unknown = ByteBuffer.allocate(64);
        RelocTracking.encodeUnknown(unknown, 1);
        unknown.flip();
        ChunkHeader.decode(unknown);
        assertFalse(RelocTracking.decodeDirty(unknown, 10, run -> { throw new AssertionError("no runs"); }).known());
    }

    @Test
    void malformedDataIsRefused() {
        assertThrows(NbdProtocolException.class, () -> RelocTracking.decodeOption(ByteBuffer.wrap(new byte[] {0, 0, 0, 5, 'a'})));
        assertThrows(NbdProtocolException.class, () -> RelocTracking.decodeSession(ByteBuffer.allocate(4)));
        assertThrows(NbdProtocolException.class, () -> RelocTracking.decodeDirty(ByteBuffer.allocate(5), 10, run -> { }));
        // One run announced, past the disk's 10 blocks.
        ByteBuffer past = ByteBuffer.allocate(RelocTracking.DIRTY_HEADER_SIZE + RelocTracking.RUN_SIZE)
                .put((byte) 1).put(new byte[3]).putInt(1).putInt(1).putInt(8).putInt(3).flip();
        assertThrows(NbdProtocolException.class, () -> RelocTracking.decodeDirty(past, 10, run -> { }));
        // Runs announced that are not there.
        ByteBuffer missing = ByteBuffer.allocate(RelocTracking.DIRTY_HEADER_SIZE)
                .put((byte) 1).put(new byte[3]).putInt(1).putInt(2).flip();
        assertThrows(NbdProtocolException.class, () -> RelocTracking.decodeDirty(missing, 10, run -> { }));
        // An unknown session with runs.
        ByteBuffer unknownWithRuns = ByteBuffer.allocate(RelocTracking.DIRTY_HEADER_SIZE + RelocTracking.RUN_SIZE)
                .put((byte) 0).put(new byte[3]).putInt(0).putInt(1).putInt(0).putInt(1).flip();
        assertThrows(NbdProtocolException.class, () -> RelocTracking.decodeDirty(unknownWithRuns, 10, run -> { }));
    }
}
