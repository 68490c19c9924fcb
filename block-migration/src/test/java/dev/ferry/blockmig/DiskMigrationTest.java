package dev.ferry.blockmig;

import static dev.ferry.blockmig.Images.MIB;
import static dev.ferry.blockmig.Images.assertSameContent;
import static dev.ferry.blockmig.Images.fillRandom;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunk logic on real raw and qcow2 files, source and destination in one process. */
class DiskMigrationTest {

    @TempDir
    Path dir;

    @Test
    void fullCopyWhileTheGuestWritesEndsByteIdenticalAndVerified() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 64 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 64 * MIB)) {
            fillRandom(source, 0, 32 * MIB, 1);
            try (DiskMigration migration = startFull(source, MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination);
                 GuestWriter guest = new GuestWriter(source, 2, 4L * MIB)) {
                // The copy of 64 MiB may outrun the writer: let it write while the copy is under way.
                migration.iterate(target, 4 * MIB);
                guest.awaitWrites(5);
                migrate(migration, target, guest, 2 * MIB);
                target.verify(migration.digest());
                DiskStats stats = migration.stats();
                assertEquals(DiskMigration.Phase.COMPLETE, stats.phase());
                assertEquals(64L * MIB, stats.totalBytes());
            }
            assertSameContent(source, destination);
        }
    }

    @Test
    void zeroChunksTravelAsMarkersAndARawDestinationStaysSparse() throws Exception {
        Path destinationPath = dir.resolve("destination.raw");
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 64 * MIB);
             BlockDevice destination = Images.raw(destinationPath, 64 * MIB)) {
            fillRandom(source, 5 * MIB, 2 * MIB, 3);
            // Written but all zero: the copy must notice by content, not by allocation.
            Images.zeroData(source, 20 * MIB, MIB);
            assertEquals(3L * MIB, BlockImages.info(source.path()).allocatedBytes(), "the source holds 3 MiB");
            try (DiskMigration migration = startFull(source, MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.complete(target);
                target.verify(migration.digest());
                assertEquals(62, migration.stats().zeroChunks());
                assertTrue(migration.stats().transferredBytes() < 2 * MIB + 62 * 100, migration.stats().toString());
            }
            destination.flush();
            assertSameContent(source, destination);
            assertEquals(2L * MIB, BlockImages.info(destinationPath).allocatedBytes(), "only the 2 MiB of data is allocated");
        }
    }

    @Test
    void aQcow2CopyIsCleanForQemuImg() throws Exception {
        QemuImg.assumeInstalled();
        Path sourcePath = dir.resolve("source.qcow2");
        Path destinationPath = dir.resolve("destination.qcow2");
        try (BlockDevice source = Images.qcow2(sourcePath, 32 * MIB);
             BlockDevice destination = Images.qcow2(destinationPath, 32 * MIB)) {
            fillRandom(source, 3 * MIB, 5 * MIB, 14);
            try (DiskMigration migration = startFull(source, MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination);
                 GuestWriter guest = new GuestWriter(source, 15, 8L * MIB)) {
                migrate(migration, target, guest, 2 * MIB);
                target.verify(migration.digest());
            }
            source.flush();
            destination.flush();
            assertSameContent(source, destination);
            QemuImg.assertIdentical(sourcePath, destinationPath);
        }
    }

    @Test
    void incrementalCopySendsOnlyTheTopLayerAndKeepsItsAllocation() throws Exception {
        QemuImg.assumeInstalled();
        Images.Bases bases = Images.Bases.random(dir, 32 * MIB, 4);
        Path topPath = dir.resolve("top.qcow2");
        Path topCopyPath = dir.resolve("top-copy.qcow2");
        try (BlockDevice source = Images.overlay(topPath, bases.source());
             BlockDevice destination = Images.overlay(topCopyPath, bases.destination())) {
            fillRandom(source, 3 * MIB, 128 * 1024, 5);
            fillRandom(source, 17 * MIB + 64 * 1024, 64 * 1024, 6);
            source.writeZeroes(25 * MIB, BlockImages.DEFAULT_CLUSTER_SIZE, true);
            try (DiskMigration migration = DiskMigration.start("vdb", source,
                    CopyOptions.of(CopyMode.INCREMENTAL));
                 DiskTarget target = new DiskTarget(migration.spec(), destination);
                 GuestWriter guest = new GuestWriter(source, 7, 4L * MIB)) {
                assertEquals(3L * MIB, migration.stats().totalBytes(), "three chunks hold top-layer data");
                migrate(migration, target, guest, 2 * MIB);
                target.verify(migration.digest());
            }
            source.flush();
            destination.flush();
            assertSameContent(source, destination);
            assertEquals(Images.topLayer(source), Images.topLayer(destination), "same top layer, not flattened");
            QemuImg.assertIdentical(topPath, topCopyPath);
        }
    }

    @Test
    void aDestinationWithAnotherBackingFileIsRefusedBeforeAnyDataMoves() throws Exception {
        Path base = Images.randomRaw(dir.resolve("base.raw"), 8 * MIB, 8);
        Path otherBase = Images.randomRaw(dir.resolve("other-base.raw"), 8 * MIB, 8);
        try (BlockDevice other = BlockImages.open(otherBase, false)) {
            fillRandom(other, 3 * MIB + 4096, 4096, 9);
        }
        Path shortBase = Images.randomRaw(dir.resolve("short-base.raw"), 4 * MIB, 8);
        try (BlockDevice source = Images.overlay(dir.resolve("top.qcow2"), base);
             BlockDevice destination = Images.overlay(dir.resolve("top-copy.qcow2"), otherBase);
             BlockDevice shortDestination = Images.overlay(dir.resolve("short-top.qcow2"), shortBase);
             DiskMigration migration = DiskMigration.start("vdb", source,
                     CopyOptions.of(CopyMode.INCREMENTAL))) {
            BlockMigrationException e = assertThrows(BlockMigrationException.class,
                    () -> new DiskTarget(migration.spec(), destination));
            assertEquals("drive vdb: backing file " + otherBase + " differs from the source's in bytes 3145728..4194303"
                    + " (1 of 8 regions of 1048576 bytes differ)", e.getMessage());
            DiskSpec spec = migration.spec();
            DiskSpec resized = new DiskSpec("vdb", 4 * MIB, spec.format(), spec.mode(), spec.chunkSize(),
                    spec.hashGranularity(), spec.backing(), spec.migrationId());
            e = assertThrows(BlockMigrationException.class, () -> new DiskTarget(resized, shortDestination));
            assertEquals("drive vdb: backing file " + shortBase + " has size 4194304 bytes,"
                    + " the source's backing file has 8388608", e.getMessage());
            assertEquals(List.of(), Images.topLayer(destination), "nothing written");

            Path created = dir.resolve("created-top.qcow2");
            e = assertThrows(BlockMigrationException.class,
                    () -> TargetImage.overlay("vdb", created, otherBase).open(migration.spec()));
            assertTrue(e.getMessage().contains("differs from the source's in bytes 3145728..4194303"), e.getMessage());
            assertFalse(Files.exists(created), "the overlay created for the copy is removed again");
        }
    }

    @Test
    void aDestinationOfAnotherSizeOrFormatIsRefused() throws Exception {
        Path small = dir.resolve("small.raw");
        Path qcow2 = dir.resolve("image.qcow2");
        Images.raw(small, 4 * MIB).close();
        Images.qcow2(qcow2, 8 * MIB).close();
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             DiskMigration migration = startFull(source, MIB)) {
            BlockMigrationException e = assertThrows(BlockMigrationException.class,
                    () -> TargetImage.of("vda", small).open(migration.spec()));
            assertEquals("drive vda: destination image " + small + " has size 4194304 bytes, the source disk has 8388608",
                    e.getMessage());
            e = assertThrows(BlockMigrationException.class, () -> TargetImage.of("vda", qcow2).open(migration.spec()));
            assertEquals("drive vda: destination image " + qcow2 + " is qcow2, the source disk is raw", e.getMessage());
            assertEquals(4L * MIB, Files.size(small), "left as it was");
        }
    }

    @Test
    void aMissingDestinationIsCreatedWithTheSourcesSizeAndFormat() throws Exception {
        Path created = dir.resolve("created.qcow2");
        try (BlockDevice source = Images.qcow2(dir.resolve("source.qcow2"), 24 * MIB);
             DiskMigration migration = startFull(source, MIB)) {
            fillRandom(source, MIB, MIB, 16);
            try (DiskTarget target = TargetImage.of("vda", created).open(migration.spec())) {
                completeAndCompare(migration, target, source);
            }
            assertEquals(24L * MIB, BlockImages.info(created).virtualSize());
            assertEquals(dev.ferry.vm.block.ImageFormat.QCOW2, BlockImages.info(created).format());
        }
    }

    @Test
    void aWriteTheLinkLostFailsVerification() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
            fillRandom(source, 0, 8 * MIB, 10);
            try (DiskMigration migration = startFull(source, MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.complete(new LossySink(target, 5));
                BlockMigrationException e = assertThrows(BlockMigrationException.class,
                        () -> target.verify(migration.digest()));
                assertTrue(e.getMessage().startsWith("drive vda: destination image " + destination.path()
                        + " does not match the source (digest "), e.getMessage());
            }
        }
    }

    @Test
    void aPageWrittenBehindTheBulkPassIsReSentAsAPageNotAsItsChunk() throws Exception {
        Path sourcePath = Images.randomRaw(dir.resolve("source.raw"), 8 * MIB, 17);
        try (BlockDevice source = BlockImages.open(sourcePath, false);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB);
             DiskMigration migration = startFull(source, MIB);
             DiskTarget target = new DiskTarget(migration.spec(), destination)) {
            migration.iterate(target, Long.MAX_VALUE);
            assertEquals(DiskMigration.Phase.DIRTY, migration.phase(), "one call, the whole bulk pass");
            long bulkBytes = migration.stats().transferredBytes();
            for (long page : new long[] {5, 300, 1800}) {
                fillRandom(source, page * 4096, 4096, page);
            }
            assertEquals(3 * 4096, migration.pendingBytes());
            migration.iterate(target, Long.MAX_VALUE);
            DiskStats stats = migration.stats();
            assertEquals(3 * 4096, stats.resentBytes());
            assertEquals(3 * (4096 + BlockWire.DATA_HEADER_BYTES), stats.transferredBytes() - bulkBytes);
            assertEquals(1, stats.dirtyPasses());
            completeAndCompare(migration, target, source);
        }
    }

    @Test
    void aCallCoversItsBudgetOfDiskEvenInZeroesAndEndsWithThePass() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 64 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 64 * MIB);
             DiskMigration migration = startFull(source, MIB);
             DiskTarget target = new DiskTarget(migration.spec(), destination)) {
            long wire = migration.iterate(target, 8 * MIB);
            assertEquals(56L * MIB, migration.pendingBytes(), "eight zero chunks covered, not the whole disk");
            assertTrue(wire < 8 * 100, "zero chunks cost markers only: " + wire);
            ChunkSink writingBehind = new ChunkSink() {
                @Override
                public void data(long offset, long length, Fill fill) throws IOException {
                    target.data(offset, length, fill);
                }

                @Override
                public void zeroes(long offset, long length) throws IOException {
                    target.zeroes(offset, length);
                    if (offset == 63L * MIB) {
                        fillRandom(source, 4096, 4096, 18); // the guest writes behind the bulk pass
                    }
                }
            };
            migration.iterate(writingBehind, Long.MAX_VALUE);
            assertEquals(DiskMigration.Phase.DIRTY, migration.phase());
            assertEquals(4096, migration.pendingBytes(), "the dirty page waits for the next call");
            assertEquals(0, migration.stats().dirtyPasses());
            migration.iterate(target, Long.MAX_VALUE);
            assertEquals(0, migration.pendingBytes());
            assertEquals(1, migration.stats().dirtyPasses());
            completeAndCompare(migration, target, source);
        }
    }

    @Test
    void closingStopsObservingTheGuest() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
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
    static void migrate(DiskMigration migration, ChunkSink sink, GuestWriter guest, long downtimeBudget)
            throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (migration.phase() == DiskMigration.Phase.BULK || migration.pendingBytes() > downtimeBudget) {
            migration.iterate(sink, 4 * MIB);
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no convergence within 60 s: " + migration.stats());
            }
        }
        guest.pause();
        migration.complete(sink);
    }

    /** Sends the rest, checks the digests match and the images hold the same bytes. */
    private static void completeAndCompare(DiskMigration migration, DiskTarget target, BlockDevice source) throws IOException {
        migration.complete(target);
        target.verify(migration.digest());
        assertSameContent(source, target.device());
    }

    static DiskMigration startFull(BlockDevice source, int chunkSize) throws IOException {
        return DiskMigration.start("vda", source, CopyOptions.of(CopyMode.FULL).withChunkSize(chunkSize));
    }

    /** A link that silently drops the n-th data message. */
    private static final class LossySink implements ChunkSink {
        private final ChunkSink next;
        private int countdown;

        LossySink(ChunkSink next, int n) {
            this.next = next;
            this.countdown = n;
        }

        @Override
        public void data(long offset, long length, Fill fill) throws IOException {
            if (--countdown == 0) {
                fill.into(offset, MemorySegment.ofArray(new byte[(int) length]));
                return;
            }
            next.data(offset, length, fill);
        }

        @Override
        public void zeroes(long offset, long length) throws IOException {
            next.zeroes(offset, length);
        }
    }
}
