package dev.ferry.vm.block.qcow2;

import dev.ferry.vm.block.ImageCheck;
import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.internal.PosixFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A read-only consistency check of a qcow2 image, counted the way {@code qemu-img check} counts,
 * so both give the same verdict on the same file. Passes, in qemu's order:
 * <ol>
 * <li>count every reference: the header cluster, the active L1 table, each L2 table and data
 *     cluster it reaches (with the allocated/fragmented/compressed figures), each internal
 *     snapshot's L1 and L2 tables and the snapshot table, the refcount table and its blocks;</li>
 * <li>compare each cluster's count with its stored refcount (more stored: a leak; fewer: a corruption);</li>
 * <li>check the COPIED flags of L1 and L2 entries against the stored refcounts (set exactly when 1).</li>
 * </ol>
 * A reference ending a cluster or more past the end of the file is a corruption and not counted.
 */
public final class Qcow2Check {

    private static final long REFTABLE_OFFSET_MASK = 0xffff_ffff_ffff_fe00L;
    private static final long REFTABLE_RESERVED = 0x1ff;
    private static final int SNAPSHOT_ENTRY = 40;
    /** Bounds the count array: a sparse file claiming terabytes would otherwise cost gigabytes of heap. */
    private static final long MAX_CLUSTERS = 1L << 26;
    private static final long MAX_REFTABLE_BYTES = 8L << 20;

    private final PosixFile file;
    private final Qcow2Header header;
    private final long length;
    private final int clusterBits;
    private final long clusterSize;
    private final int refcountBits;
    private final long refcountMax;
    private final long[] refcountTable;
    private final TableCache refcountBlocks;
    private final List<String> findings = new ArrayList<>();
    private int[] counted;
    private long checkErrors;
    private long corruptions;
    private long leaks;
    private long allocated;
    private long fragmented;
    private long compressed;

    private Qcow2Check(PosixFile file, Qcow2Header header) throws IOException {
        this.file = file;
        this.header = header;
        this.length = file.length();
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.refcountBits = 1 << header.refcountOrder();
        this.refcountMax = refcountBits >= 31 ? Integer.MAX_VALUE : (1L << refcountBits) - 1;
        long fileClusters = (length + clusterSize - 1) >>> clusterBits;
        if (fileClusters > MAX_CLUSTERS) {
            throw new ImageException(file.path(), "has " + fileClusters + " clusters, more than the check handles ("
                    + MAX_CLUSTERS + "); use 'qemu-img check'");
        }
        long tableBytes = (long) header.refcountTableClusters() * clusterSize;
        if (tableBytes > MAX_REFTABLE_BYTES) {
            throw new ImageException(file.path(), "refcount table of " + tableBytes + " bytes exceeds "
                    + MAX_REFTABLE_BYTES + " (8 MiB, as in QEMU)");
        }
        this.refcountTable = readLongs(header.refcountTableOffset(), tableBytes / 8);
        this.refcountBlocks = new TableCache(file, header.clusterSize(), 16);
        this.counted = new int[(int) fileClusters];
    }

    /** Checks the qcow2 image open read-only in {@code file}. */
    public static ImageCheck run(PosixFile file) throws IOException {
        Qcow2Header header = Qcow2Header.read(file, true);
        return new Qcow2Check(file, header).check();
    }

    private ImageCheck check() throws IOException {
        count(0, clusterSize);
        countL1(header.l1TableOffset(), header.l1Size(), true);
        countSnapshots();
        count(header.refcountTableOffset(), (long) refcountTable.length * 8);
        countRefcountBlocks();
        long highest = compare();
        checkCopiedFlags();
        long virtualClusters = (header.size() + clusterSize - 1) >>> clusterBits;
        return new ImageCheck(file.path(), ImageFormat.QCOW2, checkErrors, corruptions, leaks, virtualClusters,
                allocated, fragmented, compressed, (highest + 1) << clusterBits, header.corrupt(), findings);
    }

    // ---- pass 1: references

    private void countL1(long offset, int entries, boolean active) throws IOException {
        count(offset, (long) entries * 8);
        if (offset >= length) {
            return; // reads as zeroes: no L2 table to follow
        }
        long[] l1 = readLongs(offset, entries);
        for (long entry : l1) {
            long l2Offset = entry & Qcow2Image.OFFSET_MASK;
            if (l2Offset == 0) {
                continue;
            }
            count(l2Offset, clusterSize);
            if ((l2Offset & (clusterSize - 1)) != 0) {
                corruption(String.format("ERROR l2_offset=%x: Table is not cluster aligned; L1 entry corrupted", l2Offset));
            }
            countL2(l2Offset, active);
        }
    }

    private void countL2(long l2Offset, boolean active) throws IOException {
        if (l2Offset >= length) {
            return; // reads as zeroes: nothing allocated
        }
        long[] l2 = readLongs(l2Offset, clusterSize / 8);
        long nextContiguous = 0;
        for (long entry : l2) {
            if ((entry & Qcow2Image.COMPRESSED) != 0) {
                countCompressed(entry, active);
                continue;
            }
            long offset = entry & Qcow2Image.OFFSET_MASK;
            if (offset == 0) {
                continue;
            }
            if ((offset & (clusterSize - 1)) != 0) {
                corruption(String.format((entry & Qcow2Image.ZERO_FLAG) != 0
                        ? "ERROR offset=%x: Preallocated cluster is not properly aligned; L2 entry corrupted."
                        : "ERROR offset=%x: Data cluster is not properly aligned; L2 entry corrupted.", offset));
            }
            if (active) {
                allocated++;
                if (nextContiguous != 0 && offset != nextContiguous) {
                    fragmented++;
                }
                nextContiguous = offset + clusterSize;
            }
            count(offset, clusterSize);
        }
    }

    /** A compressed cluster: its bytes may start mid-sector and span sectors; COPIED never applies. */
    private void countCompressed(long entry, boolean active) throws ImageException {
        int sizeShift = 62 - (clusterBits - 8);
        long offset = entry & ((1L << sizeShift) - 1);
        long sectors = ((entry >>> sizeShift) & ((1L << (clusterBits - 8)) - 1)) + 1;
        if ((entry & Qcow2Image.COPIED) != 0) {
            corruption(String.format("ERROR: coffset=0x%x: copied flag must never be set for compressed clusters", offset));
        }
        count(offset, sectors * 512 - (offset & 511));
        if (active) {
            allocated++;
            compressed++;
            fragmented++;
        }
    }

    /** The snapshot table and, for each snapshot, its L1 table and the L2 tables it reaches. */
    private void countSnapshots() throws IOException {
        long at = header.snapshotsOffset();
        for (int i = 0; i < header.snapshotCount(); i++) {
            if (at >= length) {
                // Nothing but zeroes past the end: a count or sizes that run off the file, not snapshots.
                findings.add("ERROR snapshot table entry " + i + " at " + at + " lies past the end of the file");
                checkErrors++;
                return;
            }
            MemorySegment entry = read(at, SNAPSHOT_ENTRY);
            long l1Offset = entry.get(Qcow2Header.LONG, 0);
            int l1Size = entry.get(Qcow2Header.INT, 8);
            int idSize = Short.toUnsignedInt(entry.get(Qcow2Header.SHORT, 12));
            int nameSize = Short.toUnsignedInt(entry.get(Qcow2Header.SHORT, 14));
            int extraSize = entry.get(Qcow2Header.INT, 36);
            long idAt = at + SNAPSHOT_ENTRY + Integer.toUnsignedLong(extraSize);
            String id = text(idAt, idSize);
            String name = text(idAt + idSize, nameSize);
            at = (idAt + idSize + nameSize + 7) & ~7L;
            if ((l1Offset & (clusterSize - 1)) != 0) {
                corruption(String.format("ERROR snapshot %s (%s) l1_offset=%#x: L1 table is not cluster aligned; "
                        + "snapshot table entry corrupted", id, name, l1Offset));
            } else if (l1Size < 0 || l1Size > Qcow2Header.MAX_L1_ENTRIES) {
                corruption(String.format("ERROR snapshot %s (%s) l1_size=%#x: L1 table is too large; "
                        + "snapshot table entry corrupted", id, name, l1Size));
            } else {
                countL1(l1Offset, l1Size, false);
            }
        }
        if (header.snapshotCount() > 0) {
            count(header.snapshotsOffset(), at - header.snapshotsOffset());
        }
    }

    private void countRefcountBlocks() throws ImageException {
        for (int i = 0; i < refcountTable.length; i++) {
            long offset = refcountTable[i] & REFTABLE_OFFSET_MASK;
            long cluster = offset >>> clusterBits;
            if ((refcountTable[i] & REFTABLE_RESERVED) != 0) {
                corruption("ERROR refcount table entry " + i + " has reserved bits set");
            } else if ((offset & (clusterSize - 1)) != 0) {
                corruption("ERROR refcount block " + i + " is not cluster aligned; refcount table entry corrupted");
            } else if (cluster >= counted.length) {
                corruption("ERROR refcount block " + i + " is outside image");
            } else if (offset != 0) {
                count(offset, clusterSize);
                if (counted[(int) cluster] != 1) {
                    corruption("ERROR refcount block " + i + " refcount=" + counted[(int) cluster]);
                }
            }
        }
    }

    /** One more reference to each cluster of {@code offset}..{@code offset+bytes}. */
    private void count(long offset, long bytes) throws ImageException {
        if (bytes <= 0) {
            return;
        }
        if (offset + bytes - length >= clusterSize) {
            corruption(String.format("ERROR: counting reference for region exceeding the end of the file by one "
                    + "cluster or more: offset 0x%x size 0x%x", offset, bytes));
            return;
        }
        long last = (offset + bytes - 1) >>> clusterBits;
        if (last >= counted.length) {
            counted = Arrays.copyOf(counted, (int) last + 1);
        }
        for (long cluster = offset >>> clusterBits; cluster <= last; cluster++) {
            if (counted[(int) cluster] >= refcountMax) {
                corruption(String.format("ERROR: overflow cluster offset=0x%x", cluster << clusterBits));
                continue;
            }
            counted[(int) cluster]++;
        }
    }

    // ---- pass 2: counted against stored

    /** Compares every cluster; returns the highest cluster in use either way (-1 for none). */
    private long compare() throws IOException {
        long highest = -1;
        for (int cluster = 0; cluster < counted.length; cluster++) {
            long stored;
            try {
                stored = stored(cluster);
            } catch (ImageException e) {
                findings.add("Can't get refcount for cluster " + cluster + ": " + e.getMessage());
                checkErrors++;
                continue;
            }
            long references = counted[cluster];
            if (stored > 0 || references > 0) {
                highest = cluster;
            }
            if (stored < references) {
                corruption("ERROR cluster " + cluster + " refcount=" + stored + " reference=" + references);
            } else if (stored > references) {
                findings.add("Leaked cluster " + cluster + " refcount=" + stored + " reference=" + references);
                leaks++;
            }
        }
        return highest;
    }

    /** The refcount the image stores for {@code cluster}: 0 where no refcount block covers it. */
    private long stored(long cluster) throws IOException {
        long index = cluster >>> (clusterBits + 3 - header.refcountOrder());
        if (index >= refcountTable.length) {
            return 0;
        }
        long block = refcountTable[(int) index] & REFTABLE_OFFSET_MASK;
        if (block == 0) {
            return 0;
        }
        if ((block & (clusterSize - 1)) != 0) {
            throw new ImageException(file.path(), String.format("refcount block offset %#x is unaligned", block));
        }
        long perBlock = clusterSize * 8 / refcountBits;
        return Refcounts.entry(refcountBlocks.get(block), cluster % perBlock, refcountBits);
    }

    // ---- pass 3: COPIED flags

    private void checkCopiedFlags() throws IOException {
        long[] l1 = readLongs(header.l1TableOffset(), header.l1Size());
        for (int i = 0; i < l1.length; i++) {
            long l2Offset = l1[i] & Qcow2Image.OFFSET_MASK;
            if (l2Offset == 0) {
                continue;
            }
            long refcount = storedOrMinusOne(l2Offset);
            if (refcount >= 0 && (refcount == 1) != ((l1[i] & Qcow2Image.COPIED) != 0)) {
                corruption(String.format("ERROR OFLAG_COPIED L2 cluster: l1_index=%d l1_entry=%x refcount=%d", i, l1[i], refcount));
            }
            for (long entry : readLongs(l2Offset, clusterSize / 8)) {
                long data = entry & Qcow2Image.OFFSET_MASK;
                if ((entry & Qcow2Image.COMPRESSED) != 0 || data == 0) {
                    continue;
                }
                long dataRefcount = storedOrMinusOne(data);
                if (dataRefcount >= 0 && (dataRefcount == 1) != ((entry & Qcow2Image.COPIED) != 0)) {
                    corruption(String.format("ERROR OFLAG_COPIED data cluster: l2_entry=%x refcount=%d", entry, dataRefcount));
                }
            }
        }
    }

    /** As qemu: a refcount that cannot be read was reported by the comparison already; skip the flag. */
    private long storedOrMinusOne(long offset) throws IOException {
        try {
            return stored(offset >>> clusterBits);
        } catch (ImageException e) {
            return -1;
        }
    }

    // ---- reading

    private void corruption(String finding) {
        findings.add(finding);
        corruptions++;
    }

    /** Big-endian 64-bit entries; bytes past the end of the file read as zeroes, as in qemu's check. */
    private long[] readLongs(long offset, long entries) throws IOException {
        MemorySegment raw = read(offset, entries * 8);
        long[] values = new long[(int) entries];
        for (int i = 0; i < values.length; i++) {
            values[i] = raw.getAtIndex(Qcow2Header.LONG, i);
        }
        return values;
    }

    private MemorySegment read(long offset, long bytes) throws IOException {
        MemorySegment buffer = Arena.ofAuto().allocate(Math.max(8, bytes), 8).asSlice(0, bytes);
        if (offset < length) {
            file.read(offset, buffer);
        }
        return buffer;
    }

    private String text(long offset, int bytes) throws IOException {
        return new String(read(offset, bytes).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
