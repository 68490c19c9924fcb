package dev.ferry.blockmig;

import static dev.ferry.blockmig.Images.MIB;
import static dev.ferry.blockmig.Images.fillRandom;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The destination's read-back beside the copy: what it checked before the switch stays checked
 * against what the image holds, and the switch itself reads back only the last pass.
 */
class ReadBackVerifierTest {

    private static final long WAIT_NANOS = 60_000_000_000L;

    @TempDir
    Path dir;

    /** Tries to slip a change past the check: after the granule was read back, before the switch. */
    @Test
    void aByteFlippedFromOutsideAfterItsGranuleWasReadBackIsCaught() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
            fillRandom(source, 0, 8 * MIB, 21);
            try (DiskMigration migration = DiskMigrationTest.startFull(source, (int) MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.iterate(target, Long.MAX_VALUE);
                awaitSweeps(target, target.sweeps() + 2); // every granule read back at least once
                flip(destination.path(), 1000);
                awaitSweeps(target, target.sweeps() + 2); // a whole sweep began after the flip
                migration.complete(target);
                BlockMigrationException e = assertThrows(BlockMigrationException.class,
                        () -> target.verify(migration.digest()));
                assertTrue(e.getMessage().startsWith("drive vda: destination image " + destination.path()
                        + " does not match the source (digest "), e.getMessage());
            }
        }
    }

    @Test
    void pagesRewrittenAfterTheirReadBackAreReadBackAgainAndMatch() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
            fillRandom(source, 0, 8 * MIB, 22);
            try (DiskMigration migration = DiskMigrationTest.startFull(source, (int) MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.iterate(target, Long.MAX_VALUE);
                awaitSweeps(target, target.sweeps() + 1);
                for (long page : new long[] {0, 7, 1500}) {
                    fillRandom(source, page * 4096, 4096, 100 + page);
                }
                migration.complete(target);
                target.verify(migration.digest());
                assertEquals(3 * 4096, migration.stats().resentBytes());
            }
            Images.assertSameContent(source, destination);
        }
    }

    /**
     * The run the read-back thread took off its marks and is reading is still owed: the backlog
     * the destination reports counts it until the read is done, so no report sees neither the
     * marks nor the run (the source would take the destination as caught up and pause).
     */
    @Test
    void aRunBeingReadBackStillCountsInTheBacklog() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice image = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
            fillRandom(source, 0, MIB, 23);
            HeldReads destination = new HeldReads(image);
            try (DiskMigration migration = DiskMigrationTest.startFull(source, (int) MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                try {
                    migration.iterate(target, MIB); // the first chunk, random data: its granules are marked
                    assertTrue(destination.awaitReading(60), "the read-back never read the chunk");
                    assertEquals(MIB, target.backlogBytes(), "the chunk being read back counts as owed");
                } finally {
                    destination.release();
                }
                migration.complete(target);
                target.verify(migration.digest());
            }
            Images.assertSameContent(source, image);
        }
    }

    private static void awaitSweeps(DiskTarget target, long sweeps) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (target.sweeps() < sweeps) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the read-back swept " + target.sweeps() + " times in 60 s, expected " + sweeps);
            }
            Thread.sleep(2);
        }
    }

    /** Another writer changes one byte of the image, through a file channel of its own. */
    private static void flip(Path image, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) ~one.get(0)).rewind();
            channel.write(one, offset);
        }
    }
}
