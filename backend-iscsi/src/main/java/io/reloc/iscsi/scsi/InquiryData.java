package io.reloc.iscsi.scsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

import static io.reloc.iscsi.scsi.Cdb.u8;

/**
 * Standard INQUIRY data and the vital product data pages of a Reloc logical unit: 0x00 supported
 * pages, 0x80 serial number, 0x83 device identification, 0xB0 block limits, 0xB1 block device
 * characteristics, 0xB2 logical block provisioning. Identifiers derive from the export name so
 * they stay stable across restarts.
 */
final class InquiryData {
    static final byte[] SUPPORTED_PAGES = {0x00, (byte) 0x80, (byte) 0x83, (byte) 0xb0, (byte) 0xb1, (byte) 0xb2};

    private final String serial;
    private final byte[] naa;
    private final String name;
    private final int blockSize;
    private final int preferred;
    private final int maxTransferBlocks;

    InquiryData(String name, int blockSize, int preferredBytes, int maxTransferBlocks) {
        this.name = name;
        this.maxTransferBlocks = maxTransferBlocks;
        this.blockSize = blockSize;
        this.preferred = preferredBytes;
        byte[] hash = sha256(name);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            s.append(String.format("%02x", hash[i]));
        }
        this.serial = s.toString();
        // NAA 6 (IEEE Registered Extended): 4-bit NAA, 24-bit OUI (none: zero), 100 bits of name hash.
        byte[] n = Arrays.copyOfRange(hash, 8, 24);
        n[0] = 0x60;
        n[1] = 0;
        n[2] = 0;
        n[3] = (byte) (n[3] & 0x0f);
        this.naa = n;
    }

    byte[] inquiry(byte[] cdb) throws ScsiException {
        boolean evpd = (u8(cdb, 1) & 1) != 0;
        int page = u8(cdb, 2);
        if ((u8(cdb, 1) & 0xfe) != 0) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        if (!evpd) {
            if (page != 0) {
                throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
            }
            return standard();
        }
        return switch (page) {
            case 0x00 -> page(0x00, SUPPORTED_PAGES);
            case 0x80 -> page(0x80, serial.getBytes(StandardCharsets.US_ASCII));
            case 0x83 -> page(0x83, designators());
            case 0xb0 -> page(0xb0, blockLimits());
            case 0xb1 -> page(0xb1, blockCharacteristics());
            case 0xb2 -> page(0xb2, provisioning());
            default -> throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        };
    }

    private byte[] standard() {
        byte[] b = new byte[96];
        b[0] = 0x00; // connected direct-access block device
        b[2] = 0x06; // SPC-4
        b[3] = 0x12; // HISUP, response data format 2
        b[4] = (byte) (b.length - 5);
        b[7] = 0x02; // CMDQUE
        ascii(b, 8, 8, "RELOC");
        ascii(b, 16, 16, "Reloc disk");
        ascii(b, 32, 4, "0001");
        int[] versions = {0x00c0, 0x0960, 0x0460, 0x04c0}; // SAM-4, iSCSI, SPC-4, SBC-3
        for (int i = 0; i < versions.length; i++) {
            Cdb.put16(b, 58 + 2 * i, versions[i]);
        }
        return b;
    }

    private byte[] designators() {
        byte[] vendor = new byte[8 + Math.min(name.length(), 200)];
        ascii(vendor, 0, 8, "RELOC");
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, vendor, 8, vendor.length - 8);
        byte[] b = new byte[4 + naa.length + 4 + vendor.length];
        b[0] = 0x01; // binary
        b[1] = 0x03; // associated with the logical unit, NAA
        b[3] = (byte) naa.length;
        System.arraycopy(naa, 0, b, 4, naa.length);
        int at = 4 + naa.length;
        b[at] = 0x02; // ASCII
        b[at + 1] = 0x01; // T10 vendor identification
        b[at + 3] = (byte) vendor.length;
        System.arraycopy(vendor, 0, b, at + 4, vendor.length);
        return b;
    }

    private byte[] blockLimits() {
        byte[] b = new byte[0x3c];
        b[0] = 0x01; // WSNZ: WRITE SAME needs a non-zero block count
        b[1] = (byte) LogicalUnit.MAX_COMPARE_AND_WRITE_BLOCKS;
        Cdb.put16(b, 2, Math.max(1, preferred / blockSize));
        Cdb.put32(b, 4, maxTransferBlocks);
        Cdb.put32(b, 8, Math.min(maxTransferBlocks, Math.max(1, (1 << 20) / blockSize)));
        Cdb.put32(b, 16, LogicalUnit.MAX_UNMAP_BLOCKS);
        Cdb.put32(b, 20, LogicalUnit.MAX_UNMAP_DESCRIPTORS);
        Cdb.put32(b, 24, Math.max(1, 4096 / blockSize));
        Cdb.put32(b, 28, 0x80000000L); // UGAVALID, alignment 0
        Cdb.put64(b, 32, LogicalUnit.MAX_WRITE_SAME_BLOCKS);
        return b;
    }

    private static byte[] blockCharacteristics() {
        byte[] b = new byte[0x3c];
        Cdb.put16(b, 0, 1); // non-rotating medium
        return b;
    }

    private static byte[] provisioning() {
        byte[] b = new byte[4];
        b[1] = (byte) 0xe4; // LBPU, LBPWS, LBPWS10, LBPRZ
        b[2] = 0x02; // thin provisioned
        return b;
    }

    private static byte[] page(int code, byte[] body) {
        byte[] b = new byte[4 + body.length];
        b[1] = (byte) code;
        Cdb.put16(b, 2, body.length);
        System.arraycopy(body, 0, b, 4, body.length);
        return b;
    }

    private static void ascii(byte[] b, int at, int width, String text) {
        Arrays.fill(b, at, at + width, (byte) ' ');
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, b, at, Math.min(width, t.length));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }
}
