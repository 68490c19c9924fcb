package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DiskMigrationTest {

    private static final int MIB = 1 << 20;

    @Test
    void fullCopyWhileTheGuestWritesEndsByteIdenticalAndVerified() throws Exception {
        try (MemoryDisk source = disk("source", 64 * MIB, null);
             MemoryDisk destination = disk("destination", 64 * MIB, null)) {
            fillRandom(source, 0, 32 * MIB, 1);
            try (DiskMigration migration = startFull(source, MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination);
                 GuestWriter guest = new GuestWriter(source, 2, 4L * MIB)) {
                migrate(migration, target, guest, 2 * MIB, Duration.ofSeconds(60));
                assertTrue(guest.writes() >= 5, "the guest wrote during the copy: " + guest.writes());
                target.verify(migration.digest());
                DiskStats stats = migration.stats();
                assertEquals(DiskMigration.Phase.COMPLETE, stats.phase());
                assertEquals(64L * MIB, stats.totalBytes());
            }
            assertSameContent(source, destination);
        }
    }

    @Test
    void zeroChunksTravelAsMarkersAndTheDestinationStaysSparse() throws Exception {
        try (MemoryDisk source = disk("source", 64 * MIB, null);
             MemoryDisk destination = disk("destination", 64 * MIB, null)) {
            fillRandom(source, 5 * MIB, 2 * MIB, 3);
            // Written but all zero: the copy must notice by content, not by allocation.
            zeroData(source, 20 * MIB, MIB);
            try (DiskMigration migration = startFull(source, MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.complete(target);
                target.verify(migration.digest());
                assertEquals(62, migration.stats().zeroChunks());
                assertTrue(migration.stats().transferredBytes() < 2 * MIB + 62 * 100);
            }
            assertSameContent(source, destination);
            long dataClusters = Arrays.stream(destination.layout()).filter(a -> a == Allocation.DATA).count();
            assertEquals(2 * MIB / MemoryDisk.CLUSTER, dataClusters, "only the 2 MiB of data is allocated");
        }
    }

    @Test
    void incrementalCopySendsOnlyTheTopLayerAndKeepsItsAllocation() throws Exception {
        try (MemoryDisk sourceBase = disk("base", 32 * MIB, null);
             MemoryDisk destinationBase = disk("base-copy", 32 * MIB, null)) {
            fillRandom(sourceBase, 0, 32 * MIB, 4);
            fillRandom(destinationBase, 0, 32 * MIB, 4);
            try (MemoryDisk source = overlay("top", sourceBase);
                 MemoryDisk destination = overlay("top-copy", destinationBase)) {
                fillRandom(source, 3 * MIB, 128 * 1024, 5);
                fillRandom(source, 17 * MIB + 64 * 1024, 64 * 1024, 6);
                source.writeZeroes(25 * MIB, MemoryDisk.CLUSTER, true);
                try (DiskMigration migration = DiskMigration.start("vdb", source, CopyMode.INCREMENTAL, MIB,
                        BackingIdentity.Check.FULL);
                     DiskTarget target = new DiskTarget(migration.spec(), destination);
                     GuestWriter guest = new GuestWriter(source, 7, 4L * MIB)) {
                    assertEquals(3L * MIB, migration.stats().totalBytes(), "three chunks hold top-layer data");
                    migrate(migration, target, guest, 2 * MIB, Duration.ofSeconds(60));
                    target.verify(migration.digest());
                }
                assertSameContent(source, destination);
                assertArrayEquals(source.layout(), destination.layout(), "same top-layer allocation, not flattened");
            }
        }
    }

    @Test
    void aDestinationWithAnotherBackingFileIsRefusedBeforeAnyDataMoves() throws Exception {
        try (MemoryDisk sourceBase = disk("base", 8 * MIB, null);
             MemoryDisk otherBase = disk("other-base", 8 * MIB, null);
             MemoryDisk shortBase = disk("short-base", 4 * MIB, null)) {
            fillRandom(sourceBase, 0, 8 * MIB, 8);
            fillRandom(otherBase, 0, 8 * MIB, 8);
            fillRandom(otherBase, 3 * MIB + 4096, 4096, 9);
            try (MemoryDisk source = overlay("top", sourceBase);
                 MemoryDisk destination = overlay("top-copy", otherBase);
                 MemoryDisk shortDestination = overlay("short-top", shortBase);
                 DiskMigration migration = DiskMigration.start("vdb", source, CopyMode.INCREMENTAL, MIB,
                         BackingIdentity.Check.FULL)) {
                BlockMigrationException e = assertThrows(BlockMigrationException.class,
                        () -> new DiskTarget(migration.spec(), destination));
                assertTrue(e.getMessage().startsWith(
                        "drive vdb: backing file /memory/other-base differs in content from the source's (full SHA-256 "),
                        e.getMessage());
                DiskSpec spec = migration.spec();
                DiskSpec resized = new DiskSpec("vdb", 4 * MIB, spec.format(), spec.mode(), spec.chunkSize(), spec.backing());
                e = assertThrows(BlockMigrationException.class, () -> new DiskTarget(resized, shortDestination));
                assertEquals("drive vdb: backing file /memory/short-base has size 4194304 bytes,"
                        + " the source's backing file has 8388608", e.getMessage());
                assertTrue(Arrays.stream(destination.layout()).allMatch(a -> a == Allocation.BACKING), "nothing written");
            }
        }
    }

    @Test
    void aDestinationOfAnotherSizeOrFormatIsRefused() throws Exception {
        try (MemoryDisk source = disk("source", 8 * MIB, null);
             MemoryDisk small = disk("small", 4 * MIB, null);
             MemoryDisk qcow2 = new MemoryDisk("image.qcow2", ImageFormat.QCOW2, 8 * MIB, null);
             DiskMigration migration = startFull(source, MIB)) {
            BlockMigrationException e = assertThrows(BlockMigrationException.class,
                    () -> new DiskTarget(migration.spec(), small));
            assertEquals("drive vda: destination image /memory/small has size 4194304 bytes, the source disk has 8388608",
                    e.getMessage());
            e = assertThrows(BlockMigrationException.class, () -> new DiskTarget(migration.spec(), qcow2));
            assertEquals("drive vda: destination image /memory/image.qcow2 is qcow2, the source disk is raw",
                    e.getMessage());
        }
    }

    @Test
    void aWriteTheDestinationLostFailsVerification() throws Exception {
        try (MemoryDisk source = disk("source", 8 * MIB, null);
             MemoryDisk destination = disk("destination", 8 * MIB, null)) {
            fillRandom(source, 0, 8 * MIB, 10);
            destination.loseWriteAt(5 * MIB + 512);
            try (DiskMigration migration = startFull(source, MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.complete(target);
                BlockMigrationException e = assertThrows(BlockMigrationException.class,
                        () -> target.verify(migration.digest()));
                assertTrue(e.getMessage().startsWith("drive vda: destination image /memory/destination does not match"
                        + " the source (digest "), e.getMessage());
            }
        }
    }

    @Test
    void aGuestWritingFasterThanTheBandwidthIsThrottledUntilTheCopyConverges() throws Exception {
        int chunk = 64 * 1024;
        long bandwidth = 16L * MIB;
        long downtimeBudget = bandwidth / 20;
        try (MemoryDisk source = disk("source", 8 * MIB, null);
             MemoryDisk destination = disk("destination", 8 * MIB, null)) {
            fillRandom(source, 0, 8 * MIB, 11);
            try (DiskMigration migration = startFull(source, chunk);
                 DiskTarget target = new DiskTarget(migration.spec(), destination);
                 GuestWriter guest = new GuestWriter(source, 12, Long.MAX_VALUE)) {
                migrate(migration, new RateLimitedSink(target, bandwidth), guest, downtimeBudget, Duration.ofSeconds(60));
                DiskStats stats = migration.stats();
                assertTrue(stats.throttlePercent() > 0, "converged only by throttling: " + stats);
                assertEquals("throttled " + stats.throttlePercent() + "%", stats.convergence());
                assertTrue(stats.dirtyPasses() >= 2, stats.toString());
                target.verify(migration.digest());
            }
            assertSameContent(source, destination);
        }
    }

    @Test
    void closingStopsObservingTheGuest() throws Exception {
        try (MemoryDisk source = disk("source", 8 * MIB, null);
             MemoryDisk destination = disk("destination", 8 * MIB, null)) {
            DiskMigration migration = startFull(source, MIB);
            try (DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.iterate(target, 4 * MIB);
            }
            long pending = migration.pendingBytes();
            migration.close();
            fillRandom(source, 0, MIB, 13);
            assertEquals(pending, migration.pendingBytes(), "a write after close marks nothing");
        }
    }

    /** What a migration driver does: iterate while the guest runs, pause it, send the rest. */
    static void migrate(DiskMigration migration, ChunkSink sink, GuestWriter guest, long downtimeBudget,
                        Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        migration.convergenceTarget(downtimeBudget);
        while (migration.phase() == DiskMigration.Phase.BULK || migration.pendingBytes() > downtimeBudget) {
            migration.iterate(sink, 4 * MIB);
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no convergence within " + limit + ": " + migration.stats());
            }
        }
        guest.pause();
        migration.complete(sink);
    }

    static DiskMigration startFull(BlockDevice source, int chunkSize) throws IOException {
        return DiskMigration.start("vda", source, CopyMode.FULL, chunkSize, BackingIdentity.Check.SAMPLED);
    }

    static MemoryDisk disk(String name, long size, MemoryDisk backing) {
        return new MemoryDisk(name, ImageFormat.RAW, size, backing);
    }

    static MemoryDisk overlay(String name, MemoryDisk backing) {
        return new MemoryDisk(name, ImageFormat.QCOW2, backing.size(), backing);
    }

    static void fillRandom(BlockDevice disk, long offset, long length, long seed) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(length, 4096);
            GuestWriter.fill(data, new SplittableRandom(seed));
            disk.write(offset, data);
        }
    }

    static void zeroData(BlockDevice disk, long offset, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            disk.write(offset, arena.allocate(length, 4096));
        }
    }

    static void assertSameContent(BlockDevice expected, BlockDevice actual) throws IOException {
        assertEquals(expected.size(), actual.size());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(expected.size(), 4096);
            MemorySegment b = arena.allocate(actual.size(), 4096);
            expected.read(0, a);
            actual.read(0, b);
            long at = a.mismatch(b);
            assertEquals(-1, at, "first differing byte");
        }
    }
}
