package dev.ferry.vm.block.qcow2;

import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.internal.PosixFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

/**
 * Repairs the refcounts of an image left with the dirty bit set (a crash, or QEMU with lazy
 * refcounts), as QEMU does when it opens one writable: every cluster the header, L1 and L2
 * tables reference gets refcount 1 in new refcount structures; the old ones are released.
 * A cluster referenced twice is corruption it refuses to paper over.
 */
final class RefcountRebuild {

    private final PosixFile file;
    private final Qcow2Header header;
    private final long length;
    private final BitSet used = new BitSet();

    private RefcountRebuild(PosixFile file, Qcow2Header header) throws IOException {
        this.file = file;
        this.header = header;
        this.length = file.length();
    }

    static Refcounts run(PosixFile file, Qcow2Header header, long[] l1) throws IOException {
        return new RefcountRebuild(file, header).rebuild(l1);
    }

    private Refcounts rebuild(long[] l1) throws IOException {
        long clusterSize = header.clusterSize();
        long fileClusters = (length + clusterSize - 1) / clusterSize;
        if (fileClusters >= Integer.MAX_VALUE / 2) {
            throw new ImageException(file.path(), "too many clusters to rebuild refcounts; use 'qemu-img check -r all'");
        }
        use(0, clusterSize, "the header");
        use(header.l1TableOffset(), (long) header.l1Size() * 8, "the L1 table");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment l2 = arena.allocate(clusterSize, 8);
            for (int i = 0; i < l1.length; i++) {
                long l2Offset = l1[i] & Qcow2Image.OFFSET_MASK;
                if (l2Offset == 0) {
                    continue;
                }
                use(l2Offset, clusterSize, "the L2 table of L1 entry " + i);
                file.read(l2Offset, l2);
                for (long j = 0; j < clusterSize / 8; j++) {
                    long entry = l2.getAtIndex(Qcow2Header.LONG, j);
                    if ((entry & Qcow2Image.COMPRESSED) != 0) {
                        throw new ImageException(file.path(), "has compressed clusters; refcounts cannot be rebuilt");
                    }
                    long host = entry & Qcow2Image.OFFSET_MASK;
                    if (host != 0) {
                        use(host, clusterSize, "the data cluster of guest offset "
                                + ((i * (clusterSize / 8) + j) * clusterSize));
                    }
                }
            }
        }
        Refcounts refcounts = Refcounts.rebuild(file, header, used, fileClusters);
        releaseOldStructures();
        return refcounts;
    }

    private void use(long offset, long bytes, String what) throws ImageException {
        long clusterSize = header.clusterSize();
        if (offset % clusterSize != 0 || offset + bytes > length) {
            throw new ImageException(file.path(), what + " at " + offset + " is misaligned or past the end of the file");
        }
        for (long cluster = offset / clusterSize; cluster < (offset + bytes + clusterSize - 1) / clusterSize; cluster++) {
            if (used.get((int) cluster)) {
                throw new ImageException(file.path(), what + " shares host cluster " + cluster * clusterSize
                        + " with other data; repair it with 'qemu-img check -r all'");
            }
            used.set((int) cluster);
        }
    }

    /** Gives the space of the superseded refcount table and blocks back, where nothing else lives. */
    private void releaseOldStructures() throws IOException {
        long clusterSize = header.clusterSize();
        long tableBytes = header.refcountTableClusters() * clusterSize;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment table = arena.allocate(tableBytes, 8);
            file.read(header.refcountTableOffset(), table);
            for (long i = 0; i < tableBytes / 8; i++) {
                release(table.getAtIndex(Qcow2Header.LONG, i), clusterSize);
            }
        }
        release(header.refcountTableOffset(), tableBytes);
    }

    private void release(long offset, long bytes) throws IOException {
        long clusterSize = header.clusterSize();
        if (offset <= 0 || offset % clusterSize != 0 || offset + bytes > length) {
            return;
        }
        for (long at = offset; at < offset + bytes; at += clusterSize) {
            if (!used.get((int) (at / clusterSize))) {
                file.zero(at, clusterSize, true);
            }
        }
    }
}
