package dev.ferry.vm.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The qcow2 check on images Ferry wrote (qemu-img's verdicts on the same kinds of files are in
 * monitor-cli's ImgCheckMapQemuIT): clean after writes, zeroes and frees; never writing; and on
 * metadata damaged at random, a result or one ImageException, nothing else.
 */
class Qcow2CheckTest {

    private static final int CLUSTER = 4096;

    @Test
    void imagesFerryWroteAreCleanAndTheCheckWritesNothing(@TempDir Path dir) throws IOException {
        Path image = written(dir);
        byte[] before = Files.readAllBytes(image);
        ImageCheck check = BlockImages.check(image, null).orElseThrow();
        assertEquals(0, check.exitStatus(), check.findings().toString());
        assertEquals(0, check.corruptions() + check.leaks() + check.checkErrors());
        assertEquals(256, check.totalClusters());
        assertTrue(check.allocatedClusters() > 0 && check.imageEndOffset() > 0, check.toString());
        assertArrayEquals(before, Files.readAllBytes(image), "a check must not write");
        assertEquals(Optional.empty(), BlockImages.check(image, ImageFormat.RAW), "raw has no checks");
    }

    @Test
    void randomlyDamagedMetadataGivesAVerdictOrOneImageException(@TempDir Path dir) throws IOException {
        Path clean = written(dir);
        long metadataEnd = 6L * CLUSTER; // header, refcount table and block, L1, first L2 and more
        Random random = new Random(42);
        int verdicts = 0;
        for (int round = 0; round < 300; round++) {
            Path damaged = dir.resolve("damaged-" + round + ".qcow2");
            Files.copy(clean, damaged);
            try (RandomAccessFile file = new RandomAccessFile(damaged.toFile(), "rw")) {
                for (int flips = 0; flips < 1 + random.nextInt(4); flips++) {
                    long at = random.nextLong(metadataEnd);
                    file.seek(at);
                    file.write(random.nextInt(256));
                }
            }
            try {
                ImageCheck check = BlockImages.check(damaged, ImageFormat.QCOW2).orElseThrow();
                assertTrue(check.exitStatus() >= 0 && check.exitStatus() <= 3);
                verdicts++;
            } catch (ImageException refused) {
                assertTrue(refused.getMessage().contains(damaged.getFileName().toString()), refused.getMessage());
            }
            Files.delete(damaged);
        }
        assertTrue(verdicts > 100, "most damage leaves a header Ferry reads: " + verdicts);
    }

    /** A 1 MiB qcow2 with 4 KiB clusters: data written, a range zeroed with unmap, a range rewritten. */
    private static Path written(Path dir) throws IOException {
        Path image = dir.resolve("written.qcow2");
        BlockImages.createQcow2(image, 1 << 20, CLUSTER);
        try (BlockDevice device = BlockImages.open(image, ImageFormat.QCOW2, false)) {
            byte[] data = new byte[64 * 1024];
            new Random(7).nextBytes(data);
            Images.write(device, 0, data, 0, data.length);
            Images.write(device, 512 * 1024, data, 0, 16 * 1024);
            device.writeZeroes(16 * 1024, 16 * 1024, true);
            device.writeZeroes(32 * 1024, 8 * 1024, false);
            Images.write(device, 20 * 1024, data, 0, 4096);
            device.flush();
        }
        return image;
    }
}
