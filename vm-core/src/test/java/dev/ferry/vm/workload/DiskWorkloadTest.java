package dev.ferry.vm.workload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskWorkloadTest {

    private static final long DISK = 8L << 20;

    @TempDir
    Path dir;

    @Test
    void writtenBlocksVerifyAndACorruptedOneIsFound() throws Exception {
        Path image = dir.resolve("disk.raw");
        BlockImages.createRaw(image, DISK);
        try (BlockDevice disk = BlockImages.open(image, ImageFormat.RAW, false);
             DiskWorkload workload = DiskWorkload.create(disk, DiskWorkload.Settings.forDisk(DISK, 7, 64L << 20, 4096, 30))) {
            runUntilWritten(workload, 500);
            workload.pause();
            DiskWorkload.Verification clean = workload.verify();
            assertTrue(clean.ok(), clean.describe());
            assertTrue(clean.blocksChecked() > 100, clean.describe());
            assertEquals(0, workload.counters().errors());

            int victim = firstWritten(workload.state());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment junk = arena.allocate(512);
                junk.fill((byte) 0x5a);
                disk.write((long) victim * 4096 + 1024, junk);
            }
            DiskWorkload.Verification broken = workload.verify();
            assertFalse(broken.ok());
            assertEquals(1, broken.badBlocks());
            assertEquals(victim, broken.firstBadBlock());
        }
    }

    @Test
    void stateCarriesOnElsewhere() throws Exception {
        Path source = dir.resolve("source.raw");
        BlockImages.createRaw(source, DISK);
        DiskWorkloadState state;
        try (BlockDevice disk = BlockImages.open(source, ImageFormat.RAW, false);
             DiskWorkload workload = DiskWorkload.create(disk, DiskWorkload.Settings.forDisk(DISK, 11, 64L << 20, 4096, 0))) {
            runUntilWritten(workload, 300);
            workload.pause();
            state = workload.state();
        }
        Path copy = Files.copy(source, dir.resolve("copy.raw"), StandardCopyOption.COPY_ATTRIBUTES);
        try (BlockDevice disk = BlockImages.open(copy, ImageFormat.RAW, false);
             DiskWorkload resumed = DiskWorkload.restore(disk, state)) {
            assertTrue(resumed.verify().ok(), "the copy holds what the source wrote");
            long before = resumed.counters().blocksWritten();
            runUntilWritten(resumed, before + 200);
            resumed.pause();
            DiskWorkload.Verification after = resumed.verify();
            assertTrue(after.ok(), after.describe());
        }
    }

    /**
     * A rate no disk keeps up with: the writer is always behind, never waits, so it never gives up
     * its lock on its own; pause and close must still take effect after the block in flight.
     */
    @Test
    void pauseStopsAWriterThatIsAlwaysBehind() throws Exception {
        Path image = dir.resolve("behind.raw");
        BlockImages.createRaw(image, DISK);
        try (BlockDevice disk = BlockImages.open(image, ImageFormat.RAW, false);
             DiskWorkload workload = DiskWorkload.create(disk, DiskWorkload.Settings.forDisk(DISK, 5, 1L << 50, 4096, 0))) {
            runUntilWritten(workload, 100);
            assertTimeoutPreemptively(Duration.ofSeconds(30), workload::pause);
            long written = workload.counters().blocksWritten();
            Thread.sleep(50);
            assertEquals(written, workload.counters().blocksWritten(), "blocks written after pause returned");
        }
    }

    @Test
    void stateIsRefusedWhileRunning() throws Exception {
        Path image = dir.resolve("run.raw");
        BlockImages.createRaw(image, DISK);
        try (BlockDevice disk = BlockImages.open(image, ImageFormat.RAW, false);
             DiskWorkload workload = DiskWorkload.create(disk, DiskWorkload.Settings.forDisk(DISK, 1, 1L << 20, 4096, 0))) {
            workload.resume();
            assertThrows(IllegalStateException.class, workload::state);
        }
    }

    @Test
    void aDiskTooSmallIsRefused() throws Exception {
        Path image = dir.resolve("small.raw");
        BlockImages.createRaw(image, 1L << 20);
        try (BlockDevice disk = BlockImages.open(image, ImageFormat.RAW, false)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DiskWorkload.create(disk, DiskWorkload.Settings.forDisk(DISK, 1, 0, 4096, 0)));
            assertTrue(e.getMessage().contains("needs 8388608 bytes"), e.getMessage());
        }
    }

    /** The state lists only written blocks: an idle workload's is a few bytes whatever the disk. */
    @Test
    void theStateListsOnlyWrittenBlocks() {
        DiskWorkload.Settings settings = DiskWorkload.Settings.forDisk(1L << 30, 1, 0, 4096, 0);
        int[] seqs = new int[(int) settings.blocks()];
        seqs[7] = 3;
        seqs[70_000] = 9;
        BitSet written = new BitSet();
        written.set(7);
        written.set(70_000);
        DiskWorkloadState state = DiskWorkloadState.of(settings, 1, 9, written, seqs, 2, 0, 0);
        assertArrayEquals(new int[] {7, 70_000}, state.writtenBlocks());
        assertArrayEquals(new int[] {3, 9}, state.writtenSeqs());
        assertArrayEquals(seqs, state.seqsPerBlock());
        assertEquals(0, DiskWorkloadState.of(settings, 1, 0, new BitSet(), new int[seqs.length], 0, 0, 0).writtenBlocks().length);
    }

    /** Tries to slip a malformed table past the state's checks (it arrives from another host). */
    @Test
    void aStateWithBlocksOutOfOrderOutsideTheRegionOrWithoutSequenceIsRefused() {
        DiskWorkload.Settings settings = DiskWorkload.Settings.forDisk(1L << 20, 1, 0, 4096, 0);
        assertThrows(IllegalArgumentException.class,
                () -> new DiskWorkloadState(settings, 1, 2, new int[] {5, 3}, new int[] {1, 2}, 2, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new DiskWorkloadState(settings, 1, 2, new int[] {256}, new int[] {1}, 1, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new DiskWorkloadState(settings, 1, 2, new int[] {4}, new int[] {0}, 1, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new DiskWorkloadState(settings, 1, 2, new int[] {4}, new int[] {1, 2}, 1, 0, 0));
    }

    @Test
    void aLargeDiskUsesABoundedRegionSoItsStateFitsOneFrame() {
        DiskWorkload.Settings settings = DiskWorkload.Settings.forDisk(16L << 30, 1, 0, 4096, 0);
        assertEquals(DiskWorkload.Settings.MAX_BLOCKS, settings.blocks());
        assertEquals(1L << 30, settings.blocks() * settings.blockSize());
    }

    private static void runUntilWritten(DiskWorkload workload, long blocks) throws InterruptedException {
        workload.resume();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (workload.counters().blocksWritten() < blocks) {
            assertTrue(System.nanoTime() < deadline, "the workload wrote too slowly");
            Thread.sleep(10);
        }
    }

    private static int firstWritten(DiskWorkloadState state) {
        if (state.writtenBlocks().length == 0) {
            throw new AssertionError("nothing written");
        }
        return state.writtenBlocks()[0];
    }
}
