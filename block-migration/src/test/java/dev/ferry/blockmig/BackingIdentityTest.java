package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
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

    /**
     * The identity kept beside the backing file serves a later process (shown by a tampered region hash
     * coming back), and a byte written with the mtime put back ({@code touch -d}) still moves the key: ctime.
     */
    @Test
    void aByteChangedWithItsMtimeKeptIsHashedAgainByTheNextProcess() throws Exception {
        Path base = Images.randomRaw(dir.resolve("base.raw"), 4 * Images.MIB, 6);
        Path sidecar = dir.resolve("base.raw.ferry-identity");
        Thread.sleep(50); // past the file system's timestamp tick, so the fresh file counts as settled
        BackingIdentity first;
        try (BlockDevice device = BlockImages.open(base, false)) {
            first = new BackingDigestCache(Duration.ZERO).identity(device);
            String text = Files.readString(sidecar);
            Files.writeString(sidecar, text.replace(firstRegionHex(first), "0".repeat(32)));
            BackingIdentity stored = new BackingDigestCache(Duration.ZERO).identity(device);
            assertEquals("0".repeat(32), firstRegionHex(stored), "a new process reads the sidecar");
        }
        FileTime mtime = Files.getLastModifiedTime(base);
        Thread.sleep(50);
        flip(base, 4096);
        Files.setLastModifiedTime(base, mtime);
        assertEquals(mtime, Files.getLastModifiedTime(base));
        try (BlockDevice device = BlockImages.open(base, false)) {
            BackingIdentity again = new BackingDigestCache(Duration.ZERO).identity(device);
            BlockMigrationException e = assertThrows(BlockMigrationException.class,
                    () -> first.requireSame(again, "vdb", base.toString()));
            assertEquals("drive vdb: backing file " + base + " differs from the source's in bytes 0..1048575"
                    + " (1 of 4 regions of 1048576 bytes differ)", e.getMessage());
        }
    }

    /**
     * The in-memory cache's key is the chain's text (inode, size, mtime, ctime, path): one cache
     * hashes again after a byte written with its mtime put back (ctime moved), and again after the
     * file was replaced by another of the same size and mtime (a new inode), and never serves the
     * identity of an earlier content.
     */
    @Test
    void oneCacheHashesAgainWhenOnlyTheCtimeOrTheInodeMoved() throws Exception {
        Path base = Images.randomRaw(dir.resolve("kept.raw"), 2 * Images.MIB, 9);
        BackingDigestCache cache = new BackingDigestCache(Duration.ofDays(1));
        BackingIdentity first;
        try (BlockDevice device = BlockImages.open(base, false)) {
            first = cache.identity(device);
            assertSame(first, cache.identity(device), "unchanged: from memory");
        }
        FileTime mtime = Files.getLastModifiedTime(base);
        Thread.sleep(50); // past the file system's timestamp tick
        flip(base, 4096);
        Files.setLastModifiedTime(base, mtime);
        BackingIdentity flipped;
        try (BlockDevice device = BlockImages.open(base, false)) {
            flipped = cache.identity(device);
            assertThrows(BlockMigrationException.class, () -> first.requireSame(flipped, "vdb", base.toString()));
        }
        Path replacement = Files.copy(base, dir.resolve("replacement.raw"));
        flip(replacement, 8192);
        Files.setLastModifiedTime(replacement, mtime);
        Files.move(replacement, base, StandardCopyOption.REPLACE_EXISTING);
        try (BlockDevice device = BlockImages.open(base, false)) {
            BackingIdentity replaced = cache.identity(device);
            assertThrows(BlockMigrationException.class, () -> flipped.requireSame(replaced, "vdb", base.toString()));
        }
    }

    /** A file written just before it was hashed could change again within one timestamp tick: not kept on disk. */
    @Test
    void aFreshlyWrittenFileIsNotKeptOnDisk() throws Exception {
        Path base = Images.randomRaw(dir.resolve("fresh.raw"), 2 * Images.MIB, 7);
        try (BlockDevice device = BlockImages.open(base, false)) {
            new BackingDigestCache(Duration.ofSeconds(2)).identity(device);
        }
        assertFalse(Files.exists(dir.resolve("fresh.raw.ferry-identity")));
    }

    /**
     * What {@code ferry demo} does with the backing file it makes: hashed once it has settled, the identity
     * is kept beside it like a long-lived file's and serves the next process; a byte changed afterwards
     * moves the key, so that process hashes again and sees the difference.
     */
    @Test
    void anIdentityHashedOnceSettledIsKeptUntilTheFileChanges() throws Exception {
        Path base = Images.randomRaw(dir.resolve("settled.raw"), 2 * Images.MIB, 8);
        Path sidecar = dir.resolve("settled.raw.ferry-identity");
        BackingDigestCache settling = new BackingDigestCache(Duration.ofMillis(300));
        BackingIdentity first;
        try (BlockDevice device = BlockImages.open(base, false)) {
            Instant keptFrom = settling.keptFrom(device);
            assertTrue(keptFrom.isAfter(Instant.now().minusMillis(300)), "a file just written settles in the future: " + keptFrom);
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), keptFrom).toMillis()) + 20);
            first = settling.identity(device);
            assertTrue(Files.exists(sidecar), "kept beside the settled file");
            assertEquals(first, new BackingDigestCache(Duration.ofMillis(300)).identity(device), "the next process reads it");
        }
        Thread.sleep(50); // past the file system's timestamp tick
        flip(base, 4096);
        try (BlockDevice device = BlockImages.open(base, false)) {
            BackingIdentity again = new BackingDigestCache(Duration.ofMillis(300)).identity(device);
            assertThrows(BlockMigrationException.class, () -> first.requireSame(again, "vdb", base.toString()));
        }
    }

    /** A sidecar cut short (two processes writing it at once, a full disk) is ignored, not trusted. */
    @Test
    void aTruncatedSidecarIsHashedAgain() throws Exception {
        Path base = Images.randomRaw(dir.resolve("cut.raw"), 4 * Images.MIB, 8);
        Path sidecar = dir.resolve("cut.raw.ferry-identity");
        Thread.sleep(50);
        try (BlockDevice device = BlockImages.open(base, false)) {
            BackingIdentity first = new BackingDigestCache(Duration.ZERO).identity(device);
            String text = Files.readString(sidecar);
            Files.writeString(sidecar, text.substring(0, text.length() - 20));
            assertEquals(first, new BackingDigestCache(Duration.ZERO).identity(device));
        }
    }

    /** Holes are not read but hashed as the zeroes they read as: the same identity as written zeroes. */
    @Test
    void aHoleHasTheIdentityOfWrittenZeroes() throws Exception {
        Path sparse = dir.resolve("sparse.raw");
        Path dense = dir.resolve("dense.raw");
        try (BlockDevice a = Images.raw(sparse, 8 * Images.MIB); BlockDevice b = Images.raw(dense, 8 * Images.MIB)) {
            Images.fillRandom(a, 0, 3 * Images.MIB, 9);
            Images.fillRandom(b, 0, 3 * Images.MIB, 9);
            Images.zeroData(b, 3 * Images.MIB, 5 * Images.MIB);
            assertEquals(Allocation.ZERO, a.allocation(4 * Images.MIB, Images.MIB).allocation());
            assertEquals(Allocation.DATA, b.allocation(4 * Images.MIB, Images.MIB).allocation());
            BackingIdentity.compute(a).requireSame(BackingIdentity.compute(b), "vdb", dense.toString());
        }
        flip(dense, 6 * Images.MIB + 17);
        try (BlockDevice a = BlockImages.open(sparse, false); BlockDevice b = BlockImages.open(dense, false)) {
            BlockMigrationException e = assertThrows(BlockMigrationException.class,
                    () -> BackingIdentity.compute(a).requireSame(BackingIdentity.compute(b), "vdb", dense.toString()));
            assertEquals("drive vdb: backing file " + dense + " differs from the source's in bytes 6291456..7340031"
                    + " (1 of 8 regions of 1048576 bytes differ)", e.getMessage());
        }
    }

    /** What a VM reads ahead never hashes: only this process's identity or the sidecar's, for the current files. */
    @Test
    void aKnownIdentityComesFromMemoryOrTheSidecarAndNeverFromAHash() throws Exception {
        Path base = Images.randomRaw(dir.resolve("base.raw"), 4 * Images.MIB, 8);
        Thread.sleep(50); // past the file system's timestamp tick, so the fresh file counts as settled
        try (BlockDevice device = BlockImages.open(base, false)) {
            assertTrue(new BackingDigestCache(Duration.ZERO).known(device).isEmpty(), "no sidecar yet: nothing known");
            assertFalse(Files.exists(dir.resolve("base.raw.ferry-identity")), "known() hashed and kept an identity");
            BackingIdentity hashed = new BackingDigestCache(Duration.ZERO).identity(device);
            assertEquals(Optional.of(hashed), new BackingDigestCache(Duration.ZERO).known(device), "a new process reads the sidecar");
        }
        Thread.sleep(50);
        flip(base, 4096);
        try (BlockDevice device = BlockImages.open(base, false)) {
            assertTrue(new BackingDigestCache(Duration.ZERO).known(device).isEmpty(), "a changed file's old identity was taken");
        }
    }

    /** What a peer sends is checked as it is built: region hashes that do not cover the size are refused. */
    @Test
    void regionHashesThatDoNotCoverTheSizeAreRefused() {
        byte[] two = new byte[2 * ContentHash.BYTES];
        assertEquals(2, new BackingIdentity(2 * Images.MIB, Images.MIB, two).regions());
        assertThrows(IllegalArgumentException.class, () -> new BackingIdentity(3 * Images.MIB, Images.MIB, two));
        assertThrows(IllegalArgumentException.class, () -> new BackingIdentity(Images.MIB, Images.MIB, two));
        assertThrows(IllegalArgumentException.class,
                () -> new BackingIdentity(2 * Images.MIB, Images.MIB, new byte[2 * ContentHash.BYTES - 1]));
        // A size so large that its region count overflows an int must not wrap around to a match.
        assertThrows(IllegalArgumentException.class, () -> new BackingIdentity(Long.MAX_VALUE, 1, two));
    }

    /** The hashes are the identity's own: changing the array given or returned changes nothing. */
    @Test
    void theRegionHashesCannotBeChangedFromOutside() {
        byte[] hashes = new byte[2 * ContentHash.BYTES];
        BackingIdentity identity = new BackingIdentity(2 * Images.MIB, Images.MIB, hashes);
        BackingIdentity same = new BackingIdentity(2 * Images.MIB, Images.MIB, hashes.clone());
        hashes[0] = 1;
        identity.xxh3Regions()[ContentHash.BYTES] = 1;
        assertEquals(same, identity);
        assertEquals(same.hashCode(), identity.hashCode());
        BackingIdentity other = new BackingIdentity(2 * Images.MIB, Images.MIB, hashes);
        assertNotEquals(same, other);
        BlockMigrationException e = assertThrows(BlockMigrationException.class, () -> same.requireSame(other, "vdb", "b.raw"));
        assertEquals("drive vdb: backing file b.raw differs from the source's in bytes 0..1048575"
                + " (1 of 2 regions of 1048576 bytes differ)", e.getMessage());
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

    private static String firstRegionHex(BackingIdentity identity) {
        return HexFormat.of().formatHex(identity.xxh3Regions(), 0, ContentHash.BYTES);
    }
}
