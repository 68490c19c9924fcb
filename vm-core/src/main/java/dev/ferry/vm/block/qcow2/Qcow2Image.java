package dev.ferry.vm.block.qcow2;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.internal.AbstractImage;
import dev.ferry.vm.block.internal.PosixFile;
import dev.ferry.vm.block.qcow2.ClusterRun.Kind;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A qcow2 image (version 3, and version 2 read-only) over an optional backing device.
 *
 * <p>Locking: reads and in-place writes of allocated clusters share a read lock; anything that
 * changes metadata (allocation, zero clusters, flush's dirty bit) takes the write lock. A flush's
 * sync holds no lock: reads and writes go on beside it. Metadata
 * is written through in crash-safe order: refcounts, then data, then L2, then L1; clusters are
 * freed only after nothing points at them. The dirty bit is set (durably) before the first
 * metadata change after a flush and cleared once a flush made everything durable (a flush during
 * whose sync metadata changed leaves it set), so after a power loss Ferry (on a writable open),
 * QEMU or {@code qemu-img check -r all} rebuilds the refcounts.
 */
public final class Qcow2Image extends AbstractImage {

    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO_FLAG = 1;
    private static final long L2_RESERVED = 0x3f00_0000_0000_01feL;
    private static final int L2_CACHE_TABLES = 64;

    private final Qcow2Header header;
    private final Optional<BlockDevice> backing;
    private final int clusterBits;
    private final long clusterSize;
    private final long l2Entries;
    private final long[] l1;
    private final TableCache l2Cache;
    private final Refcounts refcounts;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long fileLength;
    private long incompatibleFeatures;
    private boolean dirtyMarked;
    /** Metadata changes so far (under the write lock): a flush clears the dirty bit only if none came during its sync. */
    private long metadataChanges;

    private Qcow2Image(PosixFile file, Qcow2Header header, Optional<BlockDevice> backing, long[] l1,
            Refcounts refcounts) throws IOException {
        super(file);
        this.header = header;
        this.backing = backing;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.l2Entries = clusterSize / 8;
        this.l1 = l1;
        this.l2Cache = new TableCache(file, header.clusterSize(), L2_CACHE_TABLES);
        this.refcounts = refcounts;
        this.fileLength = file.length();
        this.incompatibleFeatures = header.incompatibleFeatures() & ~Qcow2Header.INCOMPATIBLE_DIRTY;
    }

    /**
     * Opens a qcow2 image whose header was read from {@code file}; {@code backing} must be open
     * already when the header names one. On failure the caller closes both.
     */
    public static Qcow2Image open(PosixFile file, Qcow2Header header, Optional<BlockDevice> backing) throws IOException {
        if (!file.readOnly()) {
            refuseWritable(file, header);
        }
        long[] l1 = new long[header.l1Size()];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(Math.max(8, (long) header.l1Size() * 8));
            file.read(header.l1TableOffset(), raw.asSlice(0, (long) header.l1Size() * 8));
            for (int i = 0; i < l1.length; i++) {
                l1[i] = raw.getAtIndex(Qcow2Header.LONG, i);
            }
        }
        if (file.readOnly()) {
            return new Qcow2Image(file, header, backing, l1, null);
        }
        Refcounts refcounts = header.dirty() ? RefcountRebuild.run(file, header, l1) : Refcounts.load(file, header);
        Qcow2Image image = new Qcow2Image(file, header, backing, l1, refcounts);
        if (header.autoclearFeatures() != 0) {
            image.clearAutoclear();
        }
        if (header.dirty()) {
            image.dirtyMarked = true;
            image.flush();
        }
        return image;
    }

    private static void refuseWritable(PosixFile file, Qcow2Header header) throws ImageException {
        if (header.version() < 3) {
            throw new ImageException(file.path(), "qcow2 version 2 images open read-only in Ferry; convert with "
                    + "'qemu-img amend -o compat=1.1' to write");
        }
        if (header.corrupt()) {
            throw new ImageException(file.path(), "marked corrupt; open it read-only or repair it with "
                    + "'qemu-img check -r all'");
        }
    }

    /** Unknown autoclear features become invalid once software that does not know them writes: clear them. */
    private void clearAutoclear() throws IOException {
        writeHeaderLong(Qcow2Header.OFFSET_AUTOCLEAR, 0);
    }

    public Qcow2Header header() {
        return header;
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.QCOW2;
    }

    @Override
    public long size() {
        return header.size();
    }

    @Override
    public Optional<BlockDevice> backing() {
        return backing;
    }

    // ---- reads

    @Override
    protected void readChecked(long offset, MemorySegment dst) throws IOException {
        lock.readLock().lock();
        try {
            long done = 0;
            while (done < dst.byteSize()) {
                ClusterRun run = lookup(offset + done, dst.byteSize() - done, true);
                MemorySegment part = dst.asSlice(done, run.length());
                switch (run.kind()) {
                    case DATA -> file.read(run.host(), part);
                    case ZERO -> part.fill((byte) 0);
                    case UNALLOCATED -> readBacking(run.guestOffset(), part);
                }
                done += run.length();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    private void readBacking(long offset, MemorySegment dst) throws IOException {
        long fromBacking = backing.map(b -> Math.max(0, Math.min(dst.byteSize(), b.size() - offset))).orElse(0L);
        if (fromBacking > 0) {
            backing.orElseThrow().read(offset, dst.asSlice(0, fromBacking));
        }
        dst.asSlice(fromBacking).fill((byte) 0);
    }

    @Override
    protected Extent allocationChecked(long offset, long length) throws IOException {
        lock.readLock().lock();
        try {
            ClusterRun run = lookup(offset, length, false);
            return switch (run.kind()) {
                case DATA -> new Extent(offset, run.length(), Allocation.DATA);
                case ZERO -> new Extent(offset, run.length(), Allocation.ZERO);
                case UNALLOCATED -> {
                    long backingSize = backing.map(BlockDevice::size).orElse(0L);
                    yield offset < backingSize
                            ? new Extent(offset, Math.min(run.length(), backingSize - offset), Allocation.BACKING)
                            : new Extent(offset, run.length(), Allocation.ZERO);
                }
            };
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Resolves the guest range starting at {@code offset} (at most {@code length} bytes) into
     * its first run of clusters of one kind; with {@code contiguous}, DATA runs also stay
     * contiguous in the file so one pread covers them, and ZERO runs keep one kind of host space
     * (none, or preallocated clusters contiguous in the file).
     *
     * <p>One call does bounded work whatever the virtual size: an unallocated L2 table is
     * skipped whole, and the run stops after one table's worth of entries. Without that, a
     * 6 MiB sparse file whose header claims an exabyte disk kept one call looping for most of an hour.
     */
    private ClusterRun lookup(long offset, long length, boolean contiguous) throws IOException {
        long end = offset + length;
        long entry = l2Entry(offset >>> clusterBits);
        Kind kind = kindOf(entry, offset);
        long base = entry & OFFSET_MASK;
        long host = base == 0 || kind == Kind.UNALLOCATED ? 0 : base + (offset & (clusterSize - 1));
        long runEnd = Math.min(end, ((offset >>> clusterBits) + 1) << clusterBits);
        long entriesRead = 1;
        while (runEnd < end && entriesRead < l2Entries) {
            long cluster = runEnd >>> clusterBits;
            if (kind == Kind.UNALLOCATED && l2Table(cluster) == 0) {
                runEnd = Math.min(end, (cluster / l2Entries + 1) * l2Entries << clusterBits);
                continue;
            }
            long next = l2Entry(cluster);
            entriesRead++;
            if (kindOf(next, runEnd) != kind || (contiguous && kind != Kind.UNALLOCATED
                    && (next & OFFSET_MASK) != (host == 0 ? 0 : host + (runEnd - offset)))) {
                break;
            }
            runEnd = Math.min(end, runEnd + clusterSize);
        }
        return new ClusterRun(kind, offset, runEnd - offset, host);
    }

    /**
     * This layer alone at {@code offset} (its backing file not consulted), as {@code qemu-img map}
     * reports it: the first run of one kind, contiguous in the file, with its host offset.
     *
     * @param offset a guest offset inside the image
     * @param length how far the run may reach
     * @return the run, at most {@code length} bytes
     * @throws IOException if the metadata cannot be read or is invalid
     */
    public ClusterRun layerRun(long offset, long length) throws IOException {
        if (offset < 0 || length <= 0 || offset + length > size()) {
            throw new IllegalArgumentException("map query " + offset + "+" + length + " outside the image");
        }
        lock.readLock().lock();
        try {
            return lookup(offset, length, true);
        } finally {
            lock.readLock().unlock();
        }
    }

    private Kind kindOf(long entry, long guestOffset) throws ImageException {
        if ((entry & COMPRESSED) != 0) {
            throw new ImageException(path(), "compressed cluster at guest offset " + guestOffset
                    + ": compressed clusters are not supported");
        }
        if ((entry & L2_RESERVED) != 0 || (header.version() < 3 && (entry & ZERO_FLAG) != 0)) {
            throw new ImageException(path(), String.format("invalid L2 entry 0x%016x for guest offset %d", entry, guestOffset));
        }
        long host = entry & OFFSET_MASK;
        if ((entry & ZERO_FLAG) != 0) {
            return Kind.ZERO;
        }
        if (host == 0) {
            return Kind.UNALLOCATED;
        }
        if (host >= fileLength) {
            throw new ImageException(path(), "L2 entry for guest offset " + guestOffset + " points at host offset "
                    + host + ", past the end of the file (" + fileLength + " bytes)");
        }
        return Kind.DATA;
    }

    /** The L2 entry of guest cluster {@code cluster}; 0 when its L2 table is not allocated. */
    private long l2Entry(long cluster) throws IOException {
        long l2Offset = l2Table(cluster);
        if (l2Offset == 0) {
            return 0;
        }
        return l2Cache.get(l2Offset).getAtIndex(Qcow2Header.LONG, cluster % l2Entries);
    }

    /** The host offset of the L2 table covering guest cluster {@code cluster}, or 0. */
    private long l2Table(long cluster) throws ImageException {
        int index = (int) (cluster / l2Entries);
        long entry = l1[index];
        long offset = entry & OFFSET_MASK;
        if ((entry & ~(OFFSET_MASK | COPIED)) != 0 || offset % clusterSize != 0) {
            throw new ImageException(path(), String.format("invalid L1 entry %d: 0x%016x", index, entry));
        }
        if (offset != 0 && offset + clusterSize > fileLength) {
            throw new ImageException(path(), "L1 entry " + index + " points at an L2 table at " + offset
                    + ", past the end of the file (" + fileLength + " bytes)");
        }
        return offset;
    }

    // ---- writes

    @Override
    protected void writeChecked(long offset, MemorySegment src) throws IOException {
        long done = 0;
        while (done < src.byteSize()) {
            done += writeRun(offset + done, src.asSlice(done));
        }
    }

    /** Writes the first run of {@code src}: in place if allocated, else into new clusters. */
    private long writeRun(long offset, MemorySegment src) throws IOException {
        lock.readLock().lock();
        try {
            ClusterRun run = lookup(offset, src.byteSize(), true);
            if (run.kind() == Kind.DATA) {
                file.write(run.host(), src.asSlice(0, run.length()));
                return run.length();
            }
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            ClusterRun run = lookup(offset, Math.min(src.byteSize(), untilL2End(offset)), true);
            if (run.kind() == Kind.DATA) {
                file.write(run.host(), src.asSlice(0, run.length()));
            } else {
                allocateAndWrite(run, src.asSlice(0, run.length()));
            }
            return run.length();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private long untilL2End(long offset) {
        long coverage = l2Entries << clusterBits;
        return (offset / coverage + 1) * coverage - offset;
    }

    /**
     * Gives the guest clusters of {@code run} (all in one L2 table, none of them DATA) new host
     * clusters holding {@code src}, with the old content of partly written clusters copied in.
     */
    private void allocateAndWrite(ClusterRun run, MemorySegment src) throws IOException {
        markDirty();
        long firstCluster = run.guestOffset() >>> clusterBits;
        long lastCluster = (run.guestOffset() + run.length() - 1) >>> clusterBits;
        long count = lastCluster - firstCluster + 1;
        long l2Offset = ensureL2Table(firstCluster);
        long host = refcounts.allocate(count);
        growFile(host + (count << clusterBits));
        long head = run.guestOffset() & (clusterSize - 1);
        long tail = ((lastCluster + 1) << clusterBits) - (run.guestOffset() + run.length());
        if (head == 0 && tail == 0) {
            file.write(host, src);
        } else {
            writeWithOldContent(run, src, host, head, tail);
        }
        MemorySegment l2 = l2Cache.get(l2Offset);
        long firstIndex = firstCluster % l2Entries;
        long[] preallocated = new long[(int) count];
        for (long i = 0; i < count; i++) {
            preallocated[(int) i] = l2.getAtIndex(Qcow2Header.LONG, firstIndex + i) & OFFSET_MASK;
            l2.setAtIndex(Qcow2Header.LONG, firstIndex + i, (host + (i << clusterBits)) | COPIED);
        }
        file.write(l2Offset + firstIndex * 8, l2.asSlice(firstIndex * 8, count * 8));
        freeClusters(preallocated);
    }

    /** Frees host clusters nothing points at any more (0 entries skipped), in contiguous runs. */
    private void freeClusters(long[] hosts) throws IOException {
        int i = 0;
        while (i < hosts.length) {
            if (hosts[i] == 0) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < hosts.length && hosts[j] == hosts[j - 1] + clusterSize) {
                j++;
            }
            refcounts.free(hosts[i], j - i);
            i = j;
        }
    }

    /** Writes whole new clusters at {@code host}: the old content around {@code src}, {@code src} in between. */
    private void writeWithOldContent(ClusterRun run, MemorySegment src, long host, long head, long tail)
            throws IOException {
        long clusterStart = run.guestOffset() - head;
        long total = head + run.length() + tail;
        try (Arena arena = Arena.ofConfined()) {
            if (head > 0) {
                MemorySegment first = arena.allocate(clusterSize, 4096);
                readOld(run.kind(), clusterStart, first);
                long firstPart = Math.min(clusterSize - head, run.length());
                MemorySegment.copy(src, 0, first, head, firstPart);
                file.write(host, first);
                if (total == clusterSize) {
                    return;
                }
            }
            long middleStart = head > 0 ? clusterSize : 0;
            long middleEnd = tail > 0 ? total - clusterSize : total;
            if (middleEnd > middleStart) {
                file.write(host + middleStart, src.asSlice(middleStart - head, middleEnd - middleStart));
            }
            if (tail > 0) {
                MemorySegment last = arena.allocate(clusterSize, 4096);
                readOld(run.kind(), clusterStart + total - clusterSize, last);
                long srcFrom = total - clusterSize - head;
                MemorySegment.copy(src, srcFrom, last, 0, clusterSize - tail);
                file.write(host + total - clusterSize, last);
            }
        }
    }

    /** The content a not-yet-allocated guest cluster had: its backing file's or zeroes. */
    private void readOld(Kind kind, long guestOffset, MemorySegment cluster) throws IOException {
        if (kind == Kind.ZERO) {
            cluster.fill((byte) 0);
            return;
        }
        long inImage = Math.min(clusterSize, size() - guestOffset);
        readBacking(guestOffset, cluster.asSlice(0, inImage));
        cluster.asSlice(inImage).fill((byte) 0);
    }

    /** The L2 table for guest cluster {@code cluster}, allocated (zeroed, then linked from L1) if missing. */
    private long ensureL2Table(long cluster) throws IOException {
        long offset = l2Table(cluster);
        if (offset != 0) {
            return offset;
        }
        offset = refcounts.allocate(1);
        MemorySegment table = Arena.ofAuto().allocate(clusterSize, 8);
        file.write(offset, table);
        growFile(offset + clusterSize);
        l2Cache.put(offset, table);
        int index = (int) (cluster / l2Entries);
        l1[index] = offset | COPIED;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment entry = arena.allocate(8);
            entry.set(Qcow2Header.LONG, 0, l1[index]);
            file.write(header.l1TableOffset() + index * 8L, entry);
        }
        return offset;
    }

    private void growFile(long end) {
        fileLength = Math.max(fileLength, end);
    }

    @Override
    protected void writeZeroesChecked(long offset, long length, boolean mayUnmap) throws IOException {
        long end = offset + length;
        long alignedStart = Math.min(end, (offset + clusterSize - 1) & -clusterSize);
        long alignedEnd = Math.max(alignedStart, end == size() ? end : end & -clusterSize);
        writeZeroBytes(offset, alignedStart - offset);
        for (long at = alignedStart; at < alignedEnd; ) {
            long chunk = Math.min(alignedEnd - at, untilL2End(at));
            zeroClusters(at, chunk, mayUnmap);
            at += chunk;
        }
        writeZeroBytes(alignedEnd, end - alignedEnd);
    }

    private void writeZeroBytes(long offset, long length) throws IOException {
        if (length > 0) {
            try (Arena arena = Arena.ofConfined()) {
                writeChecked(offset, arena.allocate(length, 4096));
            }
        }
    }

    /** Turns whole clusters (within one L2 table) into zero clusters, releasing their space if allowed. */
    private void zeroClusters(long offset, long length, boolean mayUnmap) throws IOException {
        lock.writeLock().lock();
        try {
            long firstCluster = offset >>> clusterBits;
            long count = (length + clusterSize - 1) >>> clusterBits;
            if (backing.isEmpty() && l2Table(firstCluster) == 0) {
                return;
            }
            markDirty();
            long l2Offset = ensureL2Table(firstCluster);
            MemorySegment l2 = l2Cache.get(l2Offset);
            long firstIndex = firstCluster % l2Entries;
            long[] released = new long[(int) count];
            for (long i = 0; i < count; i++) {
                long entry = l2.getAtIndex(Qcow2Header.LONG, firstIndex + i);
                kindOf(entry, (firstCluster + i) << clusterBits);
                long host = entry & OFFSET_MASK;
                long kept = mayUnmap || host == 0 ? 0 : host | COPIED;
                if (mayUnmap) {
                    released[(int) i] = host;
                }
                l2.setAtIndex(Qcow2Header.LONG, firstIndex + i, kept | ZERO_FLAG);
            }
            file.write(l2Offset + firstIndex * 8, l2.asSlice(firstIndex * 8, count * 8));
            freeClusters(released);
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- dirty bit, flush, close

    /** Counts a metadata change; sets the dirty bit durably before the first since the last flush. */
    private void markDirty() throws IOException {
        metadataChanges++;
        if (!dirtyMarked) {
            writeHeaderLong(Qcow2Header.OFFSET_INCOMPATIBLE, incompatibleFeatures | Qcow2Header.INCOMPATIBLE_DIRTY);
            file.sync();
            dirtyMarked = true;
        }
    }

    private void writeHeaderLong(int offset, long value) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment field = arena.allocate(8);
            field.set(Qcow2Header.LONG, 0, value);
            file.write(offset, field);
        }
    }

    @Override
    public void flush() throws IOException {
        if (readOnly()) {
            return;
        }
        long changes = metadataChanges();
        // Without the lock: a sync takes milliseconds to tens of them, and a migration's
        // destination flushes in the background all the time while it writes and reads back.
        file.sync();
        cleanIfUnchangedSince(changes);
    }

    /** Metadata changes so far; waits out one in progress, so its writes precede a sync begun after this. */
    long metadataChanges() {
        lock.readLock().lock();
        try {
            return metadataChanges;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Clears the dirty bit after a sync that began once {@code changes} metadata changes were made,
     * unless more came since: those may have missed the sync, and the bit stays for a later flush.
     */
    void cleanIfUnchangedSince(long changes) throws IOException {
        lock.writeLock().lock();
        try {
            if (dirtyMarked && metadataChanges == changes) {
                writeHeaderLong(Qcow2Header.OFFSET_INCOMPATIBLE, incompatibleFeatures);
                dirtyMarked = false;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void close() throws IOException {
        if (file.isClosed()) {
            return; // closed before: flushing again would only fail on the closed file
        }
        try (PosixFile closing = file) {
            if (!readOnly()) {
                flush();
                file.sync();
            }
        } finally {
            if (backing.isPresent()) {
                backing.get().close();
            }
        }
    }
}
