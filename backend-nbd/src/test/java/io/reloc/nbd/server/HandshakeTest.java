package io.reloc.nbd.server;

import io.reloc.api.BlockSizes;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.nbd.protocol.ExportInfoRequest;
import io.reloc.nbd.protocol.InfoReply;
import io.reloc.nbd.protocol.MetaContextEntry;
import io.reloc.nbd.protocol.MetaContextRequest;
import io.reloc.nbd.protocol.ServerEntry;
import io.reloc.nbd.testing.FakeDevice;
import io.reloc.nbd.testing.NbdTestClient;
import io.reloc.nbd.testing.NbdTestClient.OptionReply;
import io.reloc.nbd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeTest {
    private static final long SIZE = 1 << 20;
    private TestServer server;
    private FakeDevice disk;

    @BeforeEach
    void start() throws Exception {
        disk = new FakeDevice(SIZE, false);
        disk.blockSizes = new BlockSizes(512, 4096, 1 << 20);
        server = new TestServer().export("disk", disk).export("other", new MemoryBlockStore(2 * SIZE)).start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private NbdTestClient connect() throws Exception {
        NbdTestClient c = NbdTestClient.connect(server.address());
        c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
        return c;
    }

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws Exception {
        try (NbdTestClient c = NbdTestClient.connect(server.address())) {
            assertEquals(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, c.greeting().handshakeFlags());
        }
    }

    @Test
    void goAnswersRequestedInformationAndEntersTransmission() throws Exception {
        try (NbdTestClient c = connect()) {
            List<InfoReply> infos = c.go("disk", List.of(INFO_BLOCK_SIZE, INFO_NAME, INFO_DESCRIPTION, 999));
            assertEquals(List.of(new InfoReply.Export(SIZE, 0x0d6d),
                    new InfoReply.BlockSize(512, 4096, 1 << 20),
                    new InfoReply.Name("disk"),
                    new InfoReply.Description("test export disk")), infos);
            c.write(0, new byte[512], 0);
            c.disconnect();
        }
    }

    @Test
    void emptyDescriptionIsLeftOut() throws Exception {
        server.exports.add(new io.reloc.api.Export("plain", "", new MemoryBlockStore(4096)));
        try (NbdTestClient c = connect()) {
            assertEquals(List.of(new InfoReply.Export(4096, 0x0d6d), new InfoReply.Name("plain")),
                    c.go("plain", List.of(INFO_NAME, INFO_DESCRIPTION)));
        }
    }

    @Test
    void goWithoutInformationRequestsSendsOnlyExport() throws Exception {
        try (NbdTestClient c = connect()) {
            assertEquals(List.of(new InfoReply.Export(2 * SIZE, 0x0d6d)), c.go("other", List.of()));
        }
    }

    @Test
    void infoThenGoOnAnotherExport() throws Exception {
        try (NbdTestClient c = connect()) {
            List<InfoReply> info = c.info(OPT_INFO, "disk", List.of());
            assertEquals(new InfoReply.Export(SIZE, 0x0d6d), info.get(0));
            c.go("other", List.of());
            assertEquals(2 * SIZE, c.exportSize());
            assertEquals(0, c.flush());
        }
    }

    @Test
    void unknownExportIsAnErrorAndTheHandshakeGoesOn() throws Exception {
        try (NbdTestClient c = connect()) {
            List<OptionReply> r = c.option(OPT_GO, new ExportInfoRequest("nope", List.of()).encode());
            assertEquals(REP_ERR_UNKNOWN, r.get(0).type());
            assertTrue(r.get(0).text().contains("'disk'"), r.get(0).text());
            c.go("disk", List.of());
            assertEquals(SIZE, c.exportSize());
        }
    }

    @Test
    void malformedGoIsInvalidAndTheHandshakeGoesOn() throws Exception {
        try (NbdTestClient c = connect()) {
            List<OptionReply> r = c.option(OPT_GO, ByteBuffer.wrap(new byte[] {0, 0, 0, 9, 'x'}));
            assertEquals(REP_ERR_INVALID, r.get(0).type());
            c.go("disk", List.of());
        }
    }

    @Test
    void listNamesEveryExportThenAbort() throws Exception {
        try (NbdTestClient c = connect()) {
            List<OptionReply> r = c.option(OPT_LIST, ByteBuffer.allocate(0));
            assertEquals(3, r.size());
            assertEquals(new ServerEntry("disk", "test export disk"), ServerEntry.decode(r.get(0).data()));
            assertEquals(new ServerEntry("other", "test export other"), ServerEntry.decode(r.get(1).data()));
            assertEquals(REP_ACK, r.get(2).type());
            List<OptionReply> abort = c.option(OPT_ABORT, ByteBuffer.allocate(0));
            assertEquals(REP_ACK, abort.get(0).type());
            c.expectClosed();
        }
    }

    @Test
    void listWithDataIsInvalid() throws Exception {
        try (NbdTestClient c = connect()) {
            assertEquals(REP_ERR_INVALID, c.option(OPT_LIST, ByteBuffer.allocate(3)).get(0).type());
            c.go("disk", List.of());
        }
    }

    @Test
    void abortWithoutWaitingForTheReplyIsFine() throws Exception {
        try (NbdTestClient c = connect()) {
            c.sendOption(OPT_ABORT, ByteBuffer.allocate(0));
        }
        try (NbdTestClient c = NbdTestClient.open(server.address(), "disk", true)) {
            assertEquals(0, c.flush());
        }
    }

    @Test
    void exportNameWithAndWithoutZeroes() throws Exception {
        try (NbdTestClient c = connect()) {
            c.exportName("disk", true);
            assertEquals(SIZE, c.exportSize());
            assertEquals(0x0d6d, c.transmissionFlags());
            assertEquals(0, c.write(0, sector(7), CMD_FLAG_FUA));
        }
        try (NbdTestClient c = NbdTestClient.connect(server.address())) {
            c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE);
            c.exportName("disk", false);
            assertArrayEquals(sector(7), c.read(0, 512));
        }
    }

    private static byte[] sector(int fill) {
        byte[] b = new byte[512];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test
    void exportNameOfAnUnknownExportDisconnects() throws Exception {
        try (NbdTestClient c = connect()) {
            c.sendOption(OPT_EXPORT_NAME, ByteBuffer.wrap("nope".getBytes(StandardCharsets.UTF_8)));
            c.expectClosed();
        }
    }

    @Test
    void emptyNameSelectsTheOnlyExport() throws Exception {
        try (TestServer single = new TestServer().export("only", new MemoryBlockStore(4096)).start();
             NbdTestClient c = NbdTestClient.connect(single.address())) {
            c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
            c.go("", List.of());
            assertEquals(4096, c.exportSize());
        }
    }

    @Test
    void structuredRepliesAddDf() throws Exception {
        try (NbdTestClient c = connect()) {
            c.expectAck(c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0)));
            c.go("disk", List.of());
            assertEquals(0x0ded, c.transmissionFlags());
        }
    }

    @Test
    void structuredReplyWithDataIsInvalid() throws Exception {
        try (NbdTestClient c = connect()) {
            assertEquals(REP_ERR_INVALID, c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(1)).get(0).type());
        }
    }

    @Test
    void listMetaContextsWithoutQueriesListsAll() throws Exception {
        try (NbdTestClient c = connect()) {
            List<OptionReply> r = c.option(OPT_LIST_META_CONTEXT, new MetaContextRequest("disk", List.of()).encode());
            assertEquals(List.of(new MetaContextEntry(0, BASE_ALLOCATION)), NbdTestClient.contexts(r));
            r = c.option(OPT_LIST_META_CONTEXT, new MetaContextRequest("disk", List.of("base:")).encode());
            assertEquals(List.of(new MetaContextEntry(0, BASE_ALLOCATION)), NbdTestClient.contexts(r));
            r = c.option(OPT_LIST_META_CONTEXT, new MetaContextRequest("disk", List.of("qemu:dirty-bitmap:x")).encode());
            assertEquals(List.of(), NbdTestClient.contexts(r));
            c.expectAck(r);
        }
    }

    @Test
    void setMetaContextNeedsStructuredReplies() throws Exception {
        try (NbdTestClient c = connect()) {
            List<OptionReply> r = c.option(OPT_SET_META_CONTEXT, new MetaContextRequest("disk", List.of(BASE_ALLOCATION)).encode());
            assertEquals(REP_ERR_INVALID, r.get(0).type());
        }
    }

    @Test
    void setMetaContextSelectsBaseAllocationOnly() throws Exception {
        try (NbdTestClient c = connect()) {
            c.expectAck(c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0)));
            List<OptionReply> r = c.option(OPT_SET_META_CONTEXT,
                    new MetaContextRequest("disk", List.of("qemu:allocation-depth", BASE_ALLOCATION)).encode());
            List<MetaContextEntry> selected = NbdTestClient.contexts(r);
            assertEquals(1, selected.size());
            assertEquals(BASE_ALLOCATION, selected.get(0).name());
            c.go("disk", List.of());
            NbdTestClient.Reply status = c.call(CMD_BLOCK_STATUS, 0, 0, 4096, null);
            assertEquals(0, status.error());
            assertEquals(selected.get(0).id(), status.blockStatus().contextId());
        }
    }

    @Test
    void metaContextChosenForAnotherExportDoesNotCarryOver() throws Exception {
        try (NbdTestClient c = connect()) {
            c.expectAck(c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0)));
            c.expectAck(c.option(OPT_SET_META_CONTEXT, new MetaContextRequest("other", List.of(BASE_ALLOCATION)).encode()));
            c.go("disk", List.of());
            assertEquals(22, c.call(CMD_BLOCK_STATUS, 0, 0, 4096, null).error());
        }
    }

    @Test
    void metaContextForUnknownExportIsUnknown() throws Exception {
        try (NbdTestClient c = connect()) {
            c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0));
            List<OptionReply> r = c.option(OPT_SET_META_CONTEXT, new MetaContextRequest("nope", List.of(BASE_ALLOCATION)).encode());
            assertEquals(REP_ERR_UNKNOWN, r.get(0).type());
        }
    }

    @Test
    void unknownOptionsAreUnsupportedAndTheHandshakeGoesOn() throws Exception {
        try (NbdTestClient c = connect()) {
            assertEquals(REP_ERR_UNSUP, c.option(4, ByteBuffer.allocate(0)).get(0).type());
            assertEquals(REP_ERR_UNSUP, c.option(0x12345, ByteBuffer.allocate(100)).get(0).type());
            assertEquals(REP_ERR_UNSUP, c.option(OPT_EXTENDED_HEADERS, ByteBuffer.allocate(0)).get(0).type());
            c.go("disk", List.of());
        }
    }

    @Test
    void startTlsIsRefusedByPolicyWithAMessage() throws Exception {
        try (NbdTestClient c = connect()) {
            OptionReply r = c.option(OPT_STARTTLS, ByteBuffer.allocate(0)).get(0);
            assertEquals(REP_ERR_POLICY, r.type());
            assertTrue(r.text().contains("TLS"), r.text());
            c.go("disk", List.of());
        }
    }

    @Test
    void unknownClientFlagsDisconnect() throws Exception {
        try (NbdTestClient c = NbdTestClient.connect(server.address())) {
            c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE | 0x100);
            c.expectClosed();
        }
    }

    @Test
    void badOptionMagicDisconnects() throws Exception {
        try (NbdTestClient c = connect()) {
            c.sendRaw(new byte[16]);
            c.expectClosed();
        }
    }

    @Test
    void hugeOptionLengthDisconnects() throws Exception {
        try (NbdTestClient c = connect()) {
            c.sendRaw(ByteBuffer.allocate(16).putLong(IHAVEOPT).putInt(0x99).putInt(-1).array());
            c.expectClosed();
        }
    }
}
