package dev.ferry.vm.block;

import static dev.ferry.vm.block.Images.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Images qemu-img and qemu-io make read in Ferry exactly as qemu-img converts them, with the same allocation map. */
class Qcow2ReadInteropTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needQemu() {
        QemuImg.assumeAvailable();
    }

    /** A raw file with random data islands between holes, the last one ending the disk. */
    private Path patchyRaw(String name, long seed) throws Exception {
        Path raw = dir.resolve(name);
        BlockImages.createRaw(raw, 12 * MIB);
        Random random = new Random(seed);
        try (BlockDevice disk = BlockImages.open(raw, ImageFormat.RAW, false)) {
            for (int i = 0; i < 12; i++) {
                byte[] data = new byte[(1 + random.nextInt(300)) * 512];
                random.nextBytes(data);
                long offset = random.nextLong(12 * MIB / 512 - data.length / 512) * 512;
                Images.write(disk, offset, data, 0, data.length);
            }
            byte[] tail = new byte[4096];
            random.nextBytes(tail);
            Images.write(disk, 12 * MIB - 4096, tail, 0, tail.length);
        }
        return raw;
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096, 65536, 2 * MIB})
    void convertedImageReadsLikeQemu(int clusterSize) throws Exception {
        Path raw = patchyRaw("base.raw", clusterSize);
        Path qcow2 = dir.resolve("disk.qcow2");
        QemuImg.ok("qemu-img", "convert", "-O", "qcow2", "-o", "cluster_size=" + clusterSize, raw.toString(),
                qcow2.toString());
        try (BlockDevice disk = BlockImages.open(qcow2, true)) {
            assertEquals(ImageFormat.QCOW2, disk.format());
            Images.assertContent(QemuImg.contentOf(qcow2, dir), Images.readAll(disk), "qcow2 content");
            assertEquals(QemuImg.map(qcow2), QemuImg.map(disk));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qcow2", "raw"})
    void overlayWithDataZeroClustersAndBackingReadsLikeQemu(String baseFormat) throws Exception {
        Path base = dir.resolve("base." + baseFormat);
        QemuImg.ok("qemu-img", "convert", "-O", baseFormat, patchyRaw("src.raw", 11).toString(), base.toString());
        Path overlay = dir.resolve("overlay.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "base." + baseFormat,
                "-F", baseFormat, overlay.toString());
        QemuImg.ok("qemu-io", "-f", "qcow2",
                "-c", "write -P 0x5a 100k 300k",
                "-c", "write -z 2M 1M",
                "-c", "write -P 0x11 5000k 3k",
                "-c", "write -z -u 8M 64k",
                overlay.toString());
        try (BlockDevice disk = BlockImages.open(overlay, false)) {
            assertEquals(baseFormat, disk.backing().orElseThrow().format().id());
            Images.assertContent(QemuImg.contentOf(overlay, dir), Images.readAll(disk), "overlay content");
            assertEquals(QemuImg.map(overlay), QemuImg.map(disk));
            assertEquals(new BackingFile("base." + baseFormat, ImageFormat.fromId(baseFormat), 12 * MIB),
                    BlockImages.backingFile(disk).orElseThrow());
        }
    }

    @Test
    void chainOfThreeWithARelativeBackingInAnotherFolder() throws Exception {
        Files.createDirectories(dir.resolve("bases"));
        Path base = dir.resolve("bases/base.qcow2");
        QemuImg.ok("qemu-img", "convert", "-O", "qcow2", patchyRaw("src.raw", 5).toString(), base.toString());
        Path middle = dir.resolve("middle.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "bases/base.qcow2", "-F", "qcow2", middle.toString());
        QemuImg.ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x21 1M 2M", middle.toString());
        Path top = dir.resolve("top.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "middle.qcow2", "-F", "qcow2", top.toString());
        QemuImg.ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x33 2M 64k", top.toString());
        try (BlockDevice disk = BlockImages.open(top, true)) {
            Images.assertContent(QemuImg.contentOf(top, dir), Images.readAll(disk), "chain content");
            assertEquals(new Extent(2 * MIB, 64 * 1024, Allocation.DATA), disk.allocation(2 * MIB, MIB));
            assertEquals(Allocation.BACKING, disk.allocation(0, MIB).allocation());
        }
    }

    @Test
    void version2ImagesReadButRefuseWrites() throws Exception {
        Path v2 = dir.resolve("old.qcow2");
        QemuImg.ok("qemu-img", "convert", "-O", "qcow2", "-o", "compat=0.10", patchyRaw("src.raw", 9).toString(),
                v2.toString());
        try (BlockDevice disk = BlockImages.open(v2, true)) {
            Images.assertContent(QemuImg.contentOf(v2, dir), Images.readAll(disk), "v2 content");
            assertEquals(QemuImg.map(v2), QemuImg.map(disk));
        }
        ImageException e = assertThrows(ImageException.class, () -> BlockImages.open(v2, false));
        assertTrue(e.getMessage().startsWith(v2 + ": qcow2 version 2 images open read-only"), e.getMessage());
        assertEquals(2, BlockImages.info(v2).qcow2Version().orElseThrow());
    }
}
