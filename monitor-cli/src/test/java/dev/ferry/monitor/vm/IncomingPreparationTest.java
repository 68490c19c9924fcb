package dev.ferry.monitor.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ferry.blockmig.BackingIdentity;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A destination's work before its source connects: the backing identity it will check, computed ahead. */
class IncomingPreparationTest {

    @TempDir
    Path dir;

    /** An overlay already there may have another backing file: nothing is hashed for it. */
    @Test
    void anExistingImageIsLeftToTheMigration() throws Exception {
        Path base = dir.resolve("base.raw");
        Files.write(base, new byte[1 << 20]);
        Path overlay = dir.resolve("destination.qcow2");
        BlockImages.createQcow2Overlay(overlay, base);
        assertEquals(List.of(), IncomingPreparation.start(List.of(DriveSpec.parse(overlay + ",backing=" + base, 0)), false).await());
    }

    @Test
    void theBackingIdentityIsReadyAndAChangedBackingFileIsHashedAgain() throws Exception {
        Path base = dir.resolve("base.raw");
        byte[] data = new byte[3 << 20];
        new Random(15).nextBytes(data);
        Files.write(base, data);
        Path overlay = dir.resolve("destination.qcow2");
        List<BackingIdentity> ready = IncomingPreparation.start(
                List.of(DriveSpec.parse(overlay + ",format=qcow2,id=vda,backing=" + base, 0)), false).await();
        assertEquals(1, ready.size());
        BackingIdentity prepared = ready.getFirst();
        BlockImages.createQcow2Overlay(overlay, base);
        try (BlockDevice device = BlockImages.open(overlay, true)) {
            assertSame(prepared, BackingIdentity.of(device.backing().orElseThrow()), "the check takes the prepared identity");
        }
        Thread.sleep(50); // past the file system's timestamp tick
        try (RandomAccessFile file = new RandomAccessFile(base.toFile(), "rw")) {
            file.seek(4096);
            file.write(~data[4096]);
        }
        try (BlockDevice device = BlockImages.open(overlay, true)) {
            assertNotEquals(prepared, BackingIdentity.of(device.backing().orElseThrow()), "a changed backing file is hashed again");
        }
    }
}
