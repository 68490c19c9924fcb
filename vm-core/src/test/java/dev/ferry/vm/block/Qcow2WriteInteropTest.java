package dev.ferry.vm.block;

import static dev.ferry.vm.block.Images.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Images Ferry creates and writes with random workloads pass {@code qemu-img check} without
 * errors or leaks, and qemu-img reads the same bytes and allocation map as Ferry.
 */
class Qcow2WriteInteropTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needQemu() {
        QemuImg.assumeAvailable();
    }

    /** Random writes and write-zeroes of 512 B to 1 MiB, mirrored into {@code model}. */
    private static void randomWorkload(BlockDevice disk, byte[] model, long seed, int operations) throws Exception {
        Random random = new Random(seed);
        int sectors = model.length / 512;
        for (int i = 0; i < operations; i++) {
            int length = (1 + random.nextInt(random.nextBoolean() ? 16 : 2048)) * 512;
            int offset = random.nextInt(sectors - length / 512 + 1) * 512;
            int kind = random.nextInt(10);
            if (kind < 7) {
                byte[] data = new byte[length];
                random.nextBytes(data);
                Images.write(disk, offset, data, 0, length);
                System.arraycopy(data, 0, model, offset, length);
            } else {
                disk.writeZeroes(offset, length, kind == 9);
                Arrays.fill(model, offset, offset + length, (byte) 0);
            }
            if (i % 50 == 0) {
                disk.flush();
            }
        }
    }

    private static void assertCleanCheck(Path image) throws Exception {
        QemuImg.Result check = QemuImg.run("qemu-img", "check", image.toString());
        assertEquals(0, check.exitCode(), () -> "qemu-img check " + image + ":\n" + check.output());
        assertFalse(check.output().contains("leaked"), check.output());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096, 65536, 2 * MIB})
    void randomWritesPassQemuImgCheckAndReadBackTheSame(int clusterSize) throws Exception {
        Path image = dir.resolve("disk.qcow2");
        int size = 24 * MIB + 3 * 512;
        BlockImages.createQcow2(image, size, clusterSize);
        assertCleanCheck(image);
        byte[] model = new byte[size];
        try (BlockDevice disk = BlockImages.open(image, ImageFormat.QCOW2, false)) {
            randomWorkload(disk, model, clusterSize, 400);
            Images.assertContent(model, Images.readAll(disk), "Ferry reads its own writes");
        }
        assertCleanCheck(image);
        Images.assertContent(model, QemuImg.contentOf(image, dir), "qemu-img reads Ferry's writes");
        try (BlockDevice disk = BlockImages.open(image, true)) {
            assertEquals(QemuImg.map(image), QemuImg.map(disk));
        }
        ImageInfo info = BlockImages.info(image);
        assertEquals(size, info.virtualSize());
        assertFalse(info.dirty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"qcow2", "raw"})
    void overlayWritesCopyOnWriteFromTheBacking(String baseFormat) throws Exception {
        Path base = dir.resolve("base." + baseFormat);
        int size = 16 * MIB;
        byte[] model = new byte[size];
        if (baseFormat.equals("raw")) {
            BlockImages.createRaw(base, size);
        } else {
            BlockImages.createQcow2(base, size, 65536);
        }
        try (BlockDevice disk = BlockImages.open(base, false)) {
            randomWorkload(disk, model, 99, 100);
        }
        Path overlay = dir.resolve("overlay.qcow2");
        BlockImages.createQcow2Overlay(overlay, base, 16384);
        assertCleanCheck(overlay);
        try (BlockDevice disk = BlockImages.open(overlay, false)) {
            assertEquals(size, disk.size());
            Images.assertContent(model, Images.readAll(disk), "fresh overlay reads the backing");
            randomWorkload(disk, model, 100, 300);
            Images.assertContent(model, Images.readAll(disk), "Ferry reads its own overlay");
        }
        assertCleanCheck(overlay);
        Images.assertContent(model, QemuImg.contentOf(overlay, dir), "qemu-img reads Ferry's overlay");
        try (BlockDevice disk = BlockImages.open(overlay, true)) {
            assertEquals(QemuImg.map(overlay), QemuImg.map(disk));
        }
        assertEquals("base." + baseFormat, BlockImages.info(overlay).backingFile().orElseThrow());
    }

    /** A flush syncs without the image's lock: writes, allocations and reads run on beside it. */
    @Test
    void writesBesideFlushesInAnotherThreadLeaveAConsistentImage() throws Exception {
        Path base = dir.resolve("base.raw");
        byte[] model = new byte[16 * MIB];
        BlockImages.createRaw(base, model.length);
        Path overlay = dir.resolve("overlay.qcow2");
        BlockImages.createQcow2Overlay(overlay, base);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger flushes = new AtomicInteger();
        try (BlockDevice disk = BlockImages.open(overlay, false)) {
            Thread flusher = Thread.ofPlatform().name("flusher").start(() -> {
                while (writing.get()) {
                    try {
                        disk.flush();
                        flushes.incrementAndGet();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            try {
                randomWorkload(disk, model, 7, 400);
            } finally {
                writing.set(false);
                flusher.join();
            }
            Images.assertContent(model, Images.readAll(disk), "Ferry reads what it wrote beside the flushes");
        }
        assertTrue(flushes.get() > 0, "the flusher ran");
        assertFalse(BlockImages.info(overlay).dirty(), "closed clean");
        assertCleanCheck(overlay);
        Images.assertContent(model, QemuImg.contentOf(overlay, dir), "qemu-img reads the same bytes");
    }

    @Test
    void writeZeroesWithUnmapMakesZeroClustersOverTheBacking() throws Exception {
        Path base = dir.resolve("base.raw");
        BlockImages.createRaw(base, 4 * MIB);
        byte[] ones = new byte[4 * MIB];
        Arrays.fill(ones, (byte) 1);
        try (BlockDevice disk = BlockImages.open(base, false)) {
            Images.write(disk, 0, ones, 0, ones.length);
        }
        Path overlay = dir.resolve("overlay.qcow2");
        BlockImages.createQcow2Overlay(overlay, base);
        try (BlockDevice disk = BlockImages.open(overlay, false)) {
            Images.write(disk, 0, new byte[MIB], 0, MIB);
            disk.writeZeroes(0, 2 * MIB, true);
            assertEquals(new Extent(0, 2 * MIB, Allocation.ZERO), disk.allocation(0, 4 * MIB));
            assertEquals(new Extent(2 * MIB, 2 * MIB, Allocation.BACKING), disk.allocation(2 * MIB, 2 * MIB));
            Images.assertContent(new byte[2 * MIB], Images.read(disk, 0, 2 * MIB), "zeroed over the backing");
        }
        assertCleanCheck(overlay);
        long allocated = BlockImages.info(overlay).allocatedBytes();
        assertTrue(allocated < MIB, "unmapped clusters gave their space back, yet " + allocated + " bytes are allocated");
    }

    @Test
    void imageLeftDirtyByACrashIsRepairedOnWritableOpen() throws Exception {
        Path image = dir.resolve("disk.qcow2");
        Path crashed = dir.resolve("crashed.qcow2");
        byte[] model = new byte[8 * MIB];
        BlockImages.createQcow2(image, model.length, 4096);
        try (BlockDevice disk = BlockImages.open(image, false)) {
            randomWorkload(disk, model, 5, 51);
            byte[] more = new byte[3 * MIB];
            Arrays.fill(more, (byte) 9);
            Images.write(disk, MIB, more, 0, more.length);
            System.arraycopy(more, 0, model, MIB, more.length);
            java.nio.file.Files.copy(image, crashed);
        }
        assertTrue(BlockImages.info(crashed).dirty(), "a copy taken while open has the dirty bit");
        try (BlockDevice disk = BlockImages.open(crashed, true)) {
            Images.assertContent(model, Images.readAll(disk), "a dirty image reads normally");
        }
        BlockImages.open(crashed, false).close();
        assertFalse(BlockImages.info(crashed).dirty());
        assertCleanCheck(crashed);
        Images.assertContent(model, QemuImg.contentOf(crashed, dir), "content after the repair");
    }
}
