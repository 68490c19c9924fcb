package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Real image files for the tests, made and compared through the block layer. */
final class Images {

    static final int MIB = 1 << 20;

    private Images() {
    }

    static BlockDevice raw(Path path, long size) throws IOException {
        BlockImages.createRaw(path, size);
        return BlockImages.open(path, ImageFormat.RAW, false);
    }

    static BlockDevice qcow2(Path path, long size) throws IOException {
        BlockImages.createQcow2(path, size, BlockImages.DEFAULT_CLUSTER_SIZE);
        return BlockImages.open(path, ImageFormat.QCOW2, false);
    }

    static BlockDevice overlay(Path path, Path backing) throws IOException {
        BlockImages.createQcow2Overlay(path, backing);
        return BlockImages.open(path, ImageFormat.QCOW2, false);
    }

    /** A raw file of {@code size} random bytes (seeded), closed again. */
    static Path randomRaw(Path path, long size, long seed) throws IOException {
        try (BlockDevice device = raw(path, size)) {
            fillRandom(device, 0, size, seed);
        }
        return path;
    }

    /** A random raw backing file (seeded) and its byte-for-byte copy, one per side of an incremental copy. */
    record Bases(Path source, Path destination) {
        static Bases random(Path dir, long size, long seed) throws IOException {
            Path base = randomRaw(dir.resolve("base.raw"), size, seed);
            return new Bases(base, Files.copy(base, dir.resolve("base-copy.raw")));
        }
    }

    static void fillRandom(BlockDevice disk, long offset, long length, long seed) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(length, 4096);
            GuestWriter.fill(data, new SplittableRandom(seed));
            disk.write(offset, data);
        }
    }

    /** Writes zero bytes as data: only a content check can tell they are zero. */
    static void zeroData(BlockDevice disk, long offset, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            disk.write(offset, arena.allocate(length, 4096));
        }
    }

    static void assertSameContent(BlockDevice expected, BlockDevice actual) throws IOException {
        assertEquals(expected.size(), actual.size(), "size");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(MIB, 4096);
            MemorySegment b = arena.allocate(MIB, 4096);
            for (long at = 0; at < expected.size(); at += MIB) {
                long n = Math.min(MIB, expected.size() - at);
                expected.read(at, a.asSlice(0, n));
                actual.read(at, b.asSlice(0, n));
                long mismatch = a.asSlice(0, n).mismatch(b.asSlice(0, n));
                assertEquals(-1, mismatch, "first differing byte after offset " + at);
            }
        }
    }

    /** The ranges the top layer itself holds (data or zero clusters), as opposed to its backing file. */
    static List<Extent> topLayer(BlockDevice device) throws IOException {
        List<Extent> covered = new ArrayList<>();
        for (long at = 0; at < device.size(); ) {
            Extent extent = device.allocation(at, device.size() - at);
            if (extent.allocation() != Allocation.BACKING) {
                Extent last = covered.isEmpty() ? null : covered.getLast();
                if (last != null && last.end() == at) {
                    covered.set(covered.size() - 1, new Extent(last.offset(), extent.end() - last.offset(), Allocation.DATA));
                } else {
                    covered.add(new Extent(at, extent.length(), Allocation.DATA));
                }
            }
            at = extent.end();
        }
        return covered;
    }
}
