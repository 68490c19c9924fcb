package dev.ferry.vm.block.qcow2;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flush syncs without holding the image's lock, so it clears the dirty bit only if no metadata
 * changed while it synced: a cluster allocated during the sync may have missed it. The two steps
 * around the sync are driven here one by one, with a real allocation between them.
 */
class Qcow2FlushTest {

    private static final int CLUSTER = 65536;

    @TempDir
    Path dir;

    @Test
    void anAllocationDuringTheSyncKeepsTheDirtyBitUntilAQuietFlush() throws Exception {
        Path path = dir.resolve("disk.qcow2");
        BlockImages.createQcow2(path, 64L * CLUSTER, CLUSTER);
        try (BlockDevice device = BlockImages.open(path, false); Arena arena = Arena.ofConfined()) {
            Qcow2Image image = assertInstanceOf(Qcow2Image.class, device);
            MemorySegment page = arena.allocate(4096).fill((byte) 7);
            image.write(0, page);
            assertTrue(BlockImages.info(path).dirty(), "the first allocation sets the dirty bit");

            long before = image.metadataChanges(); // as flush reads it before its sync
            image.write(5L * CLUSTER, page); // a new cluster while the sync would run
            image.cleanIfUnchangedSince(before);
            assertTrue(BlockImages.info(path).dirty(), "an allocation during the sync keeps the bit");

            image.flush();
            assertFalse(BlockImages.info(path).dirty(), "a flush with nothing allocated meanwhile clears it");

            before = image.metadataChanges();
            image.write(4096, page); // into an allocated cluster: no metadata change
            image.cleanIfUnchangedSince(before);
            assertFalse(BlockImages.info(path).dirty(), "an in-place write does not set the bit again");
        }
    }
}
