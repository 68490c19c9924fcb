package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The incremental copy's backing check reads every byte and names the range that differs. */
class BackingIdentityTest {

    private static final long SIZE = 64L * Images.MIB;

    @TempDir
    Path dir;

    /** A byte at 1000 was always caught; one at 524288 slipped past the sampled check: every offset counts now. */
    @Test
    void aSingleByteFlippedAnywhereIsRefusedWithItsRange() throws Exception {
        Path source = Images.randomRaw(dir.resolve("source.raw"), SIZE, 3);
        for (long offset : new long[] {1000, 524288, 33L * Images.MIB + 12345, SIZE - 1}) {
            Path copy = dir.resolve("copy-" + offset + ".raw");
            Files.copy(source, copy);
            flip(copy, offset);
            BlockMigrationException e = assertThrows(BlockMigrationException.class, () -> compare(source, copy));
            long region = offset / Images.MIB * Images.MIB;
            assertEquals("drive vdb: backing file " + copy + " differs from the source's in bytes " + region + ".."
                    + (region + Images.MIB - 1) + " (1 of 64 regions of 1048576 bytes differ)", e.getMessage());
        }
    }

    @Test
    void theSameContentIsAccepted() throws Exception {
        Path source = Images.randomRaw(dir.resolve("source.raw"), SIZE, 4);
        Path copy = Files.copy(source, dir.resolve("copy.raw"));
        compare(source, copy);
    }

    /** The cache serves an unchanged file, and hashes again once a write moved its mtime. */
    @Test
    void aFileChangedSinceItWasHashedIsHashedAgain() throws Exception {
        Path base = Images.randomRaw(dir.resolve("base.raw"), 4 * Images.MIB, 5);
        BackingIdentity first;
        try (BlockDevice device = BlockImages.open(base, false)) {
            first = BackingIdentity.of(device);
            assertSame(first, BackingIdentity.of(device), "unchanged: from the cache");
        }
        FileTime mtime = Files.getLastModifiedTime(base);
        flip(base, 4096);
        Files.setLastModifiedTime(base, FileTime.fromMillis(mtime.toMillis() + 1000));
        try (BlockDevice device = BlockImages.open(base, false)) {
            assertNotEquals(first, BackingIdentity.of(device));
        }
    }

    @Test
    void regionsGrowWithTheSizeAndStayFewerThanTheLimit() {
        assertEquals(Images.MIB, BackingIdentity.regionSizeFor(SIZE));
        assertEquals(Images.MIB, BackingIdentity.regionSizeFor(1L << 30));
        assertEquals(4L * Images.MIB, BackingIdentity.regionSizeFor(4L << 30));
        assertEquals(BackingIdentity.MAX_REGIONS, (int) ((4L << 30) / BackingIdentity.regionSizeFor(4L << 30)));
    }

    private static void compare(Path source, Path copy) throws IOException {
        try (BlockDevice a = BlockImages.open(source, false); BlockDevice b = BlockImages.open(copy, false)) {
            BackingIdentity.of(a).requireSame(BackingIdentity.of(b), "vdb", copy.toString());
        }
    }

    static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            int b = raf.read();
            raf.seek(offset);
            raf.write(b ^ 0xff);
        }
    }
}
