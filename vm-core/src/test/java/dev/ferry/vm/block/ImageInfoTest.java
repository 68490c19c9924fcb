package dev.ferry.vm.block;

import static dev.ferry.vm.block.Images.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageInfoTest {

    @TempDir
    Path dir;

    @Test
    void describesRawAndOverlayAndDigestsTheGuestView() throws Exception {
        Path base = dir.resolve("base.raw");
        BlockImages.createRaw(base, 8 * MIB);
        byte[] model = new byte[8 * MIB];
        byte[] data = new byte[MIB];
        new Random(4).nextBytes(data);
        try (BlockDevice disk = BlockImages.open(base, ImageFormat.RAW, false)) {
            Images.write(disk, 2 * MIB, data, 0, data.length);
        }
        System.arraycopy(data, 0, model, 2 * MIB, data.length);
        assertEquals(new ImageInfo(base, ImageFormat.RAW, 8 * MIB, MIB, Optional.empty(), Optional.empty(),
                OptionalInt.empty(), OptionalInt.empty(), false, false), BlockImages.info(base));

        Path overlay = dir.resolve("overlay.qcow2");
        BlockImages.createQcow2Overlay(overlay, base, 4096);
        try (BlockDevice disk = BlockImages.open(overlay, false)) {
            Images.write(disk, 0, data, 0, 4096);
            System.arraycopy(data, 0, model, 0, 4096);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(model), BlockImages.sha256(disk));
            assertEquals(new BackingFile("base.raw", ImageFormat.RAW, 8 * MIB),
                    BlockImages.backingFile(disk).orElseThrow());
            assertEquals(Optional.empty(), BlockImages.backingFile(disk.backing().orElseThrow()));
        }
        ImageInfo info = BlockImages.info(overlay);
        assertEquals(Optional.of("base.raw"), info.backingFile());
        assertEquals(Optional.of(ImageFormat.RAW), info.backingFormat());
        assertEquals(OptionalInt.of(4096), info.clusterSize());
        assertEquals(OptionalInt.of(3), info.qcow2Version());
        assertEquals(8 * MIB, info.virtualSize());
    }
}
