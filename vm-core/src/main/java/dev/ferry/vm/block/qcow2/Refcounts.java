package dev.ferry.vm.block.qcow2;

import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.internal.PosixFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;

/**
 * The refcount table and blocks of a writable qcow2 image, and the cluster allocator built on
 * them. New clusters are appended after the highest cluster in use; freed clusters become holes
 * in the file. Every change is written through at once, refcounts before the metadata that
 * references a new cluster, so a crash can leak clusters but never share one.
 * Callers hold the image's metadata lock.
 */
final class Refcounts {

    private final PosixFile file;
    private final int clusterBits;
    private final int clusterSize;
    private final int refcountBits;
    private final long entriesPerBlock;
    private final TableCache blocks;
    private long[] table;
    private long tableOffset;
    private long endCluster;

    private Refcounts(PosixFile file, Qcow2Header header, long[] table, long tableOffset) {
        this.file = file;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.refcountBits = 1 << header.refcountOrder();
        this.entriesPerBlock = (long) clusterSize * 8 / refcountBits;
        this.blocks = new TableCache(file, clusterSize, 16);
        this.table = table;
        this.tableOffset = tableOffset;
    }

    /**
     * Writes fresh refcount structures after the end of the file giving each cluster in
     * {@code used} refcount 1, and points the header at them; the old ones become unreferenced.
     */
    static Refcounts rebuild(PosixFile file, Qcow2Header header, BitSet used, long fileClusters) throws IOException {
        int tableClusters = header.refcountTableClusters();
        long tableOffset = fileClusters << header.clusterBits();
        try (Arena arena = Arena.ofConfined()) {
            file.write(tableOffset, arena.allocate((long) tableClusters << header.clusterBits()));
        }
        Refcounts refcounts = new Refcounts(file, header, new long[tableClusters * (header.clusterSize() / 8)],
                tableOffset);
        refcounts.endCluster = fileClusters + tableClusters;
        refcounts.pointHeaderAtTable(tableClusters);
        refcounts.set(fileClusters, tableClusters, 1);
        for (int first = used.nextSetBit(0); first >= 0; ) {
            int end = used.nextClearBit(first);
            refcounts.set(first, end - first, 1);
            first = used.nextSetBit(end);
        }
        return refcounts;
    }

    static Refcounts load(PosixFile file, Qcow2Header header) throws IOException {
        int entries = header.refcountTableClusters() * (header.clusterSize() / 8);
        long[] table = new long[entries];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate((long) entries * 8);
            file.read(header.refcountTableOffset(), raw);
            // One bulk copy, not a segment access per entry: a destination opens its image on a
            // cold JVM, where each access runs interpreted (tens of ms for a one-cluster table).
            MemorySegment.copy(raw, Qcow2Header.LONG, 0, table, 0, entries);
            long length = file.length();
            for (int i = 0; i < entries; i++) {
                long offset = table[i];
                if (offset % header.clusterSize() != 0 || offset < 0 || offset >= length) {
                    throw new ImageException(file.path(), "refcount table entry " + i + " points at " + offset
                            + ", not a cluster inside the file (" + length + " bytes)");
                }
            }
            Refcounts refcounts = new Refcounts(file, header, table, header.refcountTableOffset());
            long fileClusters = (length + header.clusterSize() - 1) >>> header.clusterBits();
            refcounts.endCluster = Math.max(fileClusters, refcounts.highestUsed() + 1);
            return refcounts;
        }
    }

    /** Allocates {@code n} contiguous clusters with refcount 1 and returns the host offset of the first. */
    long allocate(long n) throws IOException {
        long first = endCluster;
        endCluster += n;
        set(first, n, 1);
        return first << clusterBits;
    }

    /** Drops the clusters at {@code hostOffset} to refcount 0 and gives their space back to the file system. */
    void free(long hostOffset, long n) throws IOException {
        set(hostOffset >>> clusterBits, n, 0);
        file.zero(hostOffset, n << clusterBits, true);
    }

    private void set(long first, long n, long value) throws IOException {
        long cluster = first;
        long end = first + n;
        while (cluster < end) {
            long index = cluster / entriesPerBlock;
            MemorySegment block = block(index);
            long from = cluster % entriesPerBlock;
            long to = Math.min(entriesPerBlock, from + (end - cluster));
            for (long i = from; i < to; i++) {
                setEntry(block, i, value);
            }
            long byteFrom = from * refcountBits / 8;
            long byteTo = (to * refcountBits + 7) / 8;
            file.write(table[(int) index] + byteFrom, block.asSlice(byteFrom, byteTo - byteFrom));
            cluster += to - from;
        }
    }

    /** The refcount block {@code index}, created (and the table grown) if missing. */
    private MemorySegment block(long index) throws IOException {
        if (index >= table.length) {
            growTable(index);
        }
        long offset = table[(int) index];
        if (offset != 0) {
            return blocks.get(offset);
        }
        long cluster = endCluster++;
        MemorySegment block = Arena.ofAuto().allocate(clusterSize, 8);
        boolean selfCovering = cluster / entriesPerBlock == index;
        if (selfCovering) {
            setEntry(block, cluster % entriesPerBlock, 1);
        }
        offset = cluster << clusterBits;
        file.write(offset, block);
        blocks.put(offset, block);
        table[(int) index] = offset;
        writeTableEntry(index);
        if (!selfCovering) {
            set(cluster, 1, 1);
        }
        return block;
    }

    /** Moves the refcount table to a larger copy at the end of the image, then frees the old one. */
    private void growTable(long neededIndex) throws IOException {
        long perCluster = clusterSize / 8;
        long entries = Math.max((long) table.length * 2, neededIndex + 1);
        long clusters = (entries + perCluster - 1) / perCluster;
        while (clusters * perCluster * entriesPerBlock < endCluster + clusters + 2) {
            clusters *= 2;
        }
        if (clusters * perCluster > Integer.MAX_VALUE / 2) {
            throw new ImageException(file.path(), "refcount table would exceed " + (Integer.MAX_VALUE / 2) + " entries");
        }
        long[] grown = new long[(int) (clusters * perCluster)];
        System.arraycopy(table, 0, grown, 0, table.length);
        long oldOffset = tableOffset;
        long oldClusters = table.length / perCluster;
        long newOffset = endCluster << clusterBits;
        endCluster += clusters;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(clusters << clusterBits);
            for (int i = 0; i < table.length; i++) {
                raw.setAtIndex(Qcow2Header.LONG, i, table[i]);
            }
            file.write(newOffset, raw);
        }
        table = grown;
        tableOffset = newOffset;
        pointHeaderAtTable(clusters);
        set(newOffset >>> clusterBits, clusters, 1);
        free(oldOffset, oldClusters);
    }

    /** Makes the header name the current table, once the table itself is durable. */
    private void pointHeaderAtTable(long clusters) throws IOException {
        file.sync();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment header = arena.allocate(12);
            header.set(Qcow2Header.LONG, 0, tableOffset);
            header.set(Qcow2Header.INT, 8, (int) clusters);
            file.write(Qcow2Header.OFFSET_REFCOUNT_TABLE, header);
        }
    }

    private void writeTableEntry(long index) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment entry = arena.allocate(8);
            entry.set(Qcow2Header.LONG, 0, table[(int) index]);
            file.write(tableOffset + index * 8, entry);
        }
    }

    /** The highest cluster with a non-zero refcount, or -1. */
    private long highestUsed() throws IOException {
        for (int index = table.length - 1; index >= 0; index--) {
            if (table[index] == 0) {
                continue;
            }
            MemorySegment block = blocks.get(table[index]);
            // Word by word from a bulk copy, then entry by entry inside the last word in use: an
            // access per entry runs interpreted on a cold JVM (a 64 KiB block has 32768 of them).
            long[] words = block.toArray(ValueLayout.JAVA_LONG);
            long perWord = Long.SIZE / refcountBits;
            for (int word = words.length - 1; word >= 0; word--) {
                if (words[word] == 0) {
                    continue;
                }
                for (long i = (word + 1) * perWord - 1; i >= word * perWord; i--) {
                    if (entry(block, i) != 0) {
                        return index * entriesPerBlock + i;
                    }
                }
            }
        }
        return -1;
    }

    private long entry(MemorySegment block, long i) {
        return entry(block, i, refcountBits);
    }

    /** Entry {@code i} of a refcount block whose entries are {@code refcountBits} wide. */
    static long entry(MemorySegment block, long i, int refcountBits) {
        return switch (refcountBits) {
            case 8 -> Byte.toUnsignedLong(block.get(ValueLayout.JAVA_BYTE, i));
            case 16 -> Short.toUnsignedLong(block.get(Qcow2Header.SHORT, i * 2));
            case 32 -> Integer.toUnsignedLong(block.get(Qcow2Header.INT, i * 4));
            case 64 -> block.get(Qcow2Header.LONG, i * 8);
            default -> {
                long bit = i * refcountBits;
                int b = block.get(ValueLayout.JAVA_BYTE, bit / 8);
                yield (b >>> (bit % 8)) & ((1 << refcountBits) - 1);
            }
        };
    }

    private void setEntry(MemorySegment block, long i, long value) {
        switch (refcountBits) {
            case 8 -> block.set(ValueLayout.JAVA_BYTE, i, (byte) value);
            case 16 -> block.set(Qcow2Header.SHORT, i * 2, (short) value);
            case 32 -> block.set(Qcow2Header.INT, i * 4, (int) value);
            case 64 -> block.set(Qcow2Header.LONG, i * 8, value);
            default -> {
                long bit = i * refcountBits;
                int mask = ((1 << refcountBits) - 1) << (bit % 8);
                int b = block.get(ValueLayout.JAVA_BYTE, bit / 8);
                b = (b & ~mask) | (((int) value << (bit % 8)) & mask);
                block.set(ValueLayout.JAVA_BYTE, bit / 8, (byte) b);
            }
        }
    }
}
