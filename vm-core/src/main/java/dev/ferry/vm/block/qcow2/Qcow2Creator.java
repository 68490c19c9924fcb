package dev.ferry.vm.block.qcow2;

import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.internal.PosixFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Writes a new, empty qcow2 version 3 image: header (with the backing file name and format),
 * refcount table, refcount blocks and L1 table, each in its own clusters, with 16-bit refcounts
 * as qemu-img makes them.
 */
public final class Qcow2Creator {

    private static final int REFCOUNT_ORDER = 4;

    private Qcow2Creator() {
    }

    /** The backing file as the new header names it (relative to the image's folder or absolute). */
    public record Backing(String name, ImageFormat format) {
    }

    public static void create(PosixFile file, long size, int clusterSize, Optional<Backing> backing) throws IOException {
        if (Integer.bitCount(clusterSize) != 1 || clusterSize < 512 || clusterSize > (2 << 20)) {
            throw new ImageException(file.path(), "cluster size " + clusterSize + " is not a power of two in 512..2M");
        }
        if (size < 0 || size % 512 != 0) {
            throw new ImageException(file.path(), "size " + size + " is not a multiple of 512");
        }
        int clusterBits = Integer.numberOfTrailingZeros(clusterSize);
        long l2Coverage = (long) clusterSize * (clusterSize / 8);
        long l1Entries = (size + l2Coverage - 1) / l2Coverage;
        if (l1Entries > (32 << 20) / 8) {
            throw new ImageException(file.path(), "size " + size + " needs an L1 table over 32 MiB; use larger clusters");
        }
        long l1Clusters = Math.max(1, (l1Entries * 8 + clusterSize - 1) / clusterSize);
        long perBlock = clusterSize * 8L / (1 << REFCOUNT_ORDER);
        long tableClusters = 1;
        long blocks = 1;
        while (true) {
            long total = 1 + tableClusters + blocks + l1Clusters;
            long neededBlocks = (total + perBlock - 1) / perBlock;
            long neededTable = (neededBlocks * 8 + clusterSize - 1) / clusterSize;
            if (neededBlocks <= blocks && neededTable <= tableClusters) {
                break;
            }
            blocks = Math.max(blocks, neededBlocks);
            tableClusters = Math.max(tableClusters, neededTable);
        }
        long tableOffset = clusterSize;
        long blocksOffset = tableOffset + tableClusters * clusterSize;
        long l1Offset = blocksOffset + blocks * clusterSize;
        long total = l1Offset / clusterSize + l1Clusters;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment metadata = arena.allocate(total * clusterSize, 4096);
            writeHeader(file, metadata, size, clusterBits, (int) l1Entries, l1Offset, tableOffset,
                    (int) tableClusters, backing);
            for (long i = 0; i < blocks; i++) {
                metadata.set(Qcow2Header.LONG, tableOffset + i * 8, blocksOffset + i * clusterSize);
            }
            for (long cluster = 0; cluster < total; cluster++) {
                metadata.set(Qcow2Header.SHORT, blocksOffset + cluster * 2, (short) 1);
            }
            file.write(0, metadata);
        }
        file.sync();
    }

    private static void writeHeader(PosixFile file, MemorySegment c0, long size, int clusterBits, int l1Entries,
            long l1Offset, long tableOffset, int tableClusters, Optional<Backing> backing) throws ImageException {
        c0.set(Qcow2Header.INT, 0, Qcow2Header.MAGIC);
        c0.set(Qcow2Header.INT, 4, 3);
        c0.set(Qcow2Header.INT, 20, clusterBits);
        c0.set(Qcow2Header.LONG, 24, size);
        c0.set(Qcow2Header.INT, 36, l1Entries);
        c0.set(Qcow2Header.LONG, 40, l1Offset);
        c0.set(Qcow2Header.LONG, 48, tableOffset);
        c0.set(Qcow2Header.INT, 56, tableClusters);
        c0.set(Qcow2Header.INT, 96, REFCOUNT_ORDER);
        c0.set(Qcow2Header.INT, 100, Qcow2Header.V3_LENGTH);
        int at = Qcow2Header.V3_LENGTH;
        if (backing.isPresent()) {
            byte[] format = backing.get().format().id().getBytes(StandardCharsets.UTF_8);
            c0.set(Qcow2Header.INT, at, Qcow2Header.EXTENSION_BACKING_FORMAT);
            c0.set(Qcow2Header.INT, at + 4, format.length);
            MemorySegment.copy(MemorySegment.ofArray(format), 0, c0, at + 8, format.length);
            at += 8 + ((format.length + 7) & ~7);
        }
        at += 8; // the end-of-extensions marker: type 0, length 0
        if (backing.isPresent()) {
            byte[] name = backing.get().name().getBytes(StandardCharsets.UTF_8);
            if (name.length > Qcow2Header.MAX_BACKING_NAME || at + name.length > (1 << clusterBits)) {
                throw new ImageException(file.path(), "backing file name of " + name.length
                        + " bytes does not fit the header");
            }
            MemorySegment.copy(MemorySegment.ofArray(name), 0, c0, at, name.length);
            c0.set(Qcow2Header.LONG, Qcow2Header.OFFSET_BACKING_FILE, at);
            c0.set(Qcow2Header.INT, 16, name.length);
        }
    }
}
