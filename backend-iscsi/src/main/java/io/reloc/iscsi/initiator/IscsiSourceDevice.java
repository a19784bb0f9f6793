package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.BlockSizes;
import io.reloc.api.Extent;
import io.reloc.api.ReadOnlyBlockDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A logical unit of a remote iSCSI target read as a read-only device: size and block length from
 * READ CAPACITY(16) (or 10), reads as READ(16) commands of at most the negotiated MaxBurstLength
 * sent concurrently on one session, reads at unaligned offsets served from the covering blocks,
 * and extents from GET LBA STATUS when the unit is thin provisioned and answers it. Thread safe.
 */
public final class IscsiSourceDevice implements ReadOnlyBlockDevice {
    private static final Logger log = LoggerFactory.getLogger(IscsiSourceDevice.class);
    /** Largest read sent as one command even if the target allows more. */
    static final int MAX_READ = 1 << 20;

    private final IscsiSession session;
    private final IscsiUri uri;
    private final Cdbs.Capacity capacity;
    private final int blockSize;
    private final int maxRead;
    private final long size;
    private volatile boolean lbaStatus;

    private IscsiSourceDevice(IscsiSession session, IscsiUri uri, Cdbs.Capacity capacity, long maxTransferBlocks) {
        this.session = requireNonNull(session, "session is null");
        this.uri = requireNonNull(uri, "uri is null");
        this.capacity = requireNonNull(capacity, "capacity is null");
        this.blockSize = capacity.blockSize();
        this.size = capacity.blocks() * blockSize;
        long max = Math.min(MAX_READ, session.negotiated().maxBurstLength());
        if (maxTransferBlocks > 0) {
            max = Math.min(max, maxTransferBlocks * blockSize);
        }
        this.maxRead = (int) Math.max(blockSize, max - max % blockSize);
        this.lbaStatus = capacity.provisioning();
    }

    /**
     * Logs in to {@code uri}'s target and reads its capacity.
     *
     * @throws IOException naming the portal: unreachable, authentication failure, unknown target
     *     (with the targets the portal offers), or a unit that cannot report its capacity
     */
    public static IscsiSourceDevice open(IscsiUri uri) throws IOException {
        return open(uri, IscsiSession.REPLY_TIMEOUT);
    }

    static IscsiSourceDevice open(IscsiUri uri, Duration replyTimeout) throws IOException {
        IscsiSession session;
        try {
            session = IscsiSession.open(uri, replyTimeout);
        } catch (LoginException e) {
            if (e.status() == LoginException.NOT_FOUND) {
                throw new IOException(e.getMessage() + ": no target " + uri.targetName() + offered(uri), e);
            }
            throw e;
        }
        try {
            Cdbs.Capacity capacity = capacity(session);
            long maxTransfer = maxTransferBlocks(session);
            IscsiSourceDevice device = new IscsiSourceDevice(session, uri, capacity, maxTransfer);
            log.debug("iSCSI source {}: {} blocks of {} bytes, reads of {} bytes, GET LBA STATUS {}", uri,
                    capacity.blocks(), capacity.blockSize(), device.maxRead, device.lbaStatus ? "tried" : "not offered");
            return device;
        } catch (IOException | RuntimeException e) {
            session.close();
            if (e instanceof IllegalArgumentException) {
                throw new IOException(e.getMessage(), e);
            }
            throw e;
        }
    }

    private static String offered(IscsiUri uri) {
        try {
            List<String> names = IscsiSession.discover(uri);
            return names.isEmpty() ? "; the portal offers no targets" : "; the portal offers: " + String.join(", ", names);
        } catch (IOException | RuntimeException e) {
            return "; run iscsi-ls -s iscsi://" + uri.portal() + " to list the targets it offers";
        }
    }

    private static Cdbs.Capacity capacity(IscsiSession session) throws IOException {
        try {
            return Cdbs.parseCapacity16(session.execute("READ CAPACITY(16)", Cdbs.readCapacity16(),
                    Cdbs.READ_CAPACITY_16_LENGTH, false));
        } catch (ScsiCheckCondition e) {
            log.debug("READ CAPACITY(16) refused ({}); trying READ CAPACITY(10)", e.getMessage());
        }
        Cdbs.Capacity c = Cdbs.parseCapacity10(session.execute("READ CAPACITY(10)", Cdbs.readCapacity10(), 8, false));
        if (c.blocks() == 0x1_0000_0000L) {
            throw new IOException("the logical unit is larger than READ CAPACITY(10) can tell and refuses "
                    + "READ CAPACITY(16)");
        }
        return c;
    }

    private static long maxTransferBlocks(IscsiSession session) throws IOException {
        try {
            return Cdbs.maxTransferBlocks(session.execute("INQUIRY (Block Limits VPD page)", Cdbs.inquiryVpd(0xb0, 64),
                    64, false));
        } catch (ScsiCheckCondition e) {
            return 0;
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public BlockSizes blockSizes() {
        return new BlockSizes(blockSize, Math.max(4096, blockSize), maxRead);
    }

    /** Logical block length in bytes. */
    public int logicalBlockSize() {
        return blockSize;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        long start = offset - offset % blockSize;
        long end = alignUp(offset + length);
        List<PendingCommand> commands = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        IOException failure = null;
        for (long at = start; at < end && failure == null; at += maxRead) {
            int n = (int) Math.min(maxRead, end - at);
            try {
                PendingCommand c = new PendingCommand("READ(16) of " + n + " bytes at " + at + " from " + uri, n, true);
                commands.add(session.submit(c, Cdbs.read16(at / blockSize, n / blockSize)));
                starts.add(at);
            } catch (IOException e) {
                failure = e;
            }
        }
        ByteBuffer out = dst.slice();
        for (int i = 0; i < commands.size(); i++) {
            try {
                byte[] data;
                try {
                    data = IscsiSession.await(commands.get(i));
                } catch (ScsiCheckCondition | TargetBusy e) {
                    boolean again = e instanceof TargetBusy || ((ScsiCheckCondition) e).sense().unitAttention();
                    if (!again || failure != null) {
                        throw e;
                    }
                    // An event (reset, changed parameters) reported on this command, or a full
                    // queue: send it again, with the retries and back-off of execute().
                    PendingCommand c = commands.get(i);
                    long at = starts.get(i);
                    int n = c.expectedLength();
                    data = session.execute(c.what(), Cdbs.read16(at / blockSize, n / blockSize), n, true);
                }
                if (failure != null) {
                    continue;
                }
                long at = starts.get(i);
                long from = Math.max(at, offset);
                long to = Math.min(at + data.length, offset + length);
                out.put((int) (from - offset), data, (int) (from - at), (int) (to - from));
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        dst.position(dst.limit());
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        checkRange(offset, length);
        if (length == 0) {
            throw new BlockDeviceException(BlockError.INVALID, "extents of an empty range at " + offset);
        }
        if (!lbaStatus) {
            return List.of(Extent.data(length));
        }
        if (offset % blockSize != 0) {
            return List.of(Extent.data(Math.min(length, alignUp(offset) - offset)));
        }
        long lba = offset / blockSize;
        int alloc = 8 + 16 * Cdbs.LBA_STATUS_DESCRIPTORS;
        byte[] data;
        try {
            data = session.execute("GET LBA STATUS at block " + lba + " of " + uri, Cdbs.getLbaStatus(lba, alloc),
                    alloc, false);
        } catch (ScsiCheckCondition e) {
            if (e.sense().invalidOpcode() || e.sense().invalidFieldInCdb()) {
                log.debug("iSCSI source {} does not answer GET LBA STATUS ({}); reporting all data", uri, e.getMessage());
                lbaStatus = false;
                return List.of(Extent.data(length));
            }
            throw e;
        }
        return toExtents(lba, length, Cdbs.parseLbaStatus(data));
    }

    /** Turns descriptors into extents from {@code lba}, merging runs, clipped to {@code length}. */
    List<Extent> toExtents(long lba, long length, List<Cdbs.LbaStatus> descriptors) throws BlockDeviceException {
        if (descriptors.isEmpty()) {
            throw new BlockDeviceException(BlockError.IO, "GET LBA STATUS at block " + lba + " from " + uri
                    + " returned no descriptor");
        }
        Cdbs.LbaStatus first = descriptors.getFirst();
        if (first.lba() > lba || first.lba() + first.blocks() <= lba) {
            throw new BlockDeviceException(BlockError.IO, "GET LBA STATUS at block " + lba + " from " + uri
                    + " answered for blocks " + first.lba() + "+" + first.blocks());
        }
        List<Extent> out = new ArrayList<>();
        long at = lba;
        long total = 0;
        boolean lastHole = false;
        for (Cdbs.LbaStatus d : descriptors) {
            if (d.lba() > at || d.blocks() == 0 || d.lba() + d.blocks() <= at) {
                break; // a gap or a descriptor out of order: report what is certain
            }
            long bytes = Math.min((d.lba() + d.blocks() - at) * blockSize, length - total);
            if (bytes <= 0) {
                break;
            }
            boolean hole = !d.mapped();
            if (!out.isEmpty() && lastHole == hole) {
                Extent prev = out.removeLast();
                out.add(new Extent(prev.length() + bytes, prev.hole(), prev.zero()));
            } else {
                out.add(hole ? new Extent(bytes, true, capacity.unmappedReadsZero()) : Extent.data(bytes));
            }
            lastHole = hole;
            total += bytes;
            at = d.lba() + d.blocks();
            if (total >= length) {
                break;
            }
        }
        return List.copyOf(out);
    }

    private void checkRange(long offset, long length) throws BlockDeviceException {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new BlockDeviceException(BlockError.INVALID, "range of " + length + " bytes at " + offset
                    + " is outside the source's " + size + " bytes");
        }
    }

    private long alignUp(long x) {
        long r = x % blockSize;
        return r == 0 ? x : x + blockSize - r;
    }

    /** Logs out and closes; pending reads fail with IO. Idempotent. */
    @Override
    public void close() {
        session.close();
    }

    @Override
    public String toString() {
        return "iSCSI LUN " + uri.lun() + " of " + uri.targetName() + " on " + uri.portal();
    }
}
