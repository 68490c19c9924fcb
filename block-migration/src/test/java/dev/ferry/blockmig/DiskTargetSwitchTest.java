package dev.ferry.blockmig;

import static dev.ferry.blockmig.Images.MIB;
import static dev.ferry.blockmig.Images.fillRandom;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.vm.block.BlockDevice;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the destination still does at the switch, inside the guest's downtime: once it caught up
 * (its backlog is 0), nothing that scales with the disk: no flush if nothing arrived since the
 * last background flush began, one flush for what did.
 */
class DiskTargetSwitchTest {

    private static final long WAIT_NANOS = 60_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void caughtUpTheSwitchFlushesNothing() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
            fillRandom(source, 0, 8 * MIB, 31);
            try (DiskMigration migration = DiskMigrationTest.startFull(source, (int) MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.iterate(target, Long.MAX_VALUE);
                awaitCaughtUp(target);
                long flushes = target.flushes();
                migration.complete(target);
                target.startFlush();
                target.verify(migration.digest());
                target.flush();
                assertEquals(flushes, target.flushes(), "flushes at the switch with nothing new to flush");
            }
            Images.assertSameContent(source, destination);
        }
    }

    @Test
    void aPageThatArrivesInThePauseIsFlushedOnce() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
            fillRandom(source, 0, 8 * MIB, 32);
            try (DiskMigration migration = DiskMigrationTest.startFull(source, (int) MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.iterate(target, Long.MAX_VALUE);
                awaitCaughtUp(target);
                long flushes = target.flushes();
                fillRandom(source, 5 * 4096, 4096, 33);
                migration.complete(target);
                target.startFlush();
                target.verify(migration.digest());
                target.flush();
                assertEquals(flushes + 1, target.flushes(), "one flush covers the last page");
                assertEquals(0, target.backlogBytes());
                assertEquals(0, target.unflushedBytes());
            }
            Images.assertSameContent(source, destination);
        }
    }

    /**
     * A dirty pass after the background flush went idle is flushed in the background, not left
     * for the switch: the idle flush thread sleeps until a write wakes it, so a write that did
     * not wake it would never be flushed here and the wait would fail.
     */
    @Test
    void aDirtyPassAfterAnIdleSpellIsFlushedBeforeTheSwitch() throws Exception {
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB);
             BlockDevice destination = Images.raw(dir.resolve("destination.raw"), 8 * MIB)) {
            fillRandom(source, 0, 8 * MIB, 34);
            try (DiskMigration migration = DiskMigrationTest.startFull(source, (int) MIB);
                 DiskTarget target = new DiskTarget(migration.spec(), destination)) {
                migration.iterate(target, Long.MAX_VALUE);
                awaitCaughtUp(target);
                long flushes = target.flushes();
                fillRandom(source, 3 * 4096, 4096, 35);
                migration.iterate(target, Long.MAX_VALUE);
                awaitCaughtUp(target);
                assertEquals(flushes + 1, target.flushes(), "the dirty pass's page flushed once in the background");
                migration.complete(target);
                target.startFlush();
                target.verify(migration.digest());
                target.flush();
                assertEquals(flushes + 1, target.flushes(), "nothing left for the switch to flush");
            }
            Images.assertSameContent(source, destination);
        }
    }

    /** Waits until everything that arrived was read back and flushed. */
    private static void awaitCaughtUp(DiskTarget target) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (target.backlogBytes() > 0 || target.unflushedBytes() > 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the destination still owes " + target.backlogBytes() + " bytes of read-back and "
                        + target.unflushedBytes() + " of flushing after 60 s");
            }
            Thread.sleep(2);
        }
    }
}
