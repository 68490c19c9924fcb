package dev.ferry.vm.block;

import static dev.ferry.vm.block.Images.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawImageTest {

    @TempDir
    Path dir;

    @Test
    void writesReadBackAndHolesReadAsUnallocatedZeroes() throws IOException {
        Path path = dir.resolve("disk.raw");
        BlockImages.createRaw(path, 8 * MIB);
        byte[] data = new byte[3 * 4096];
        new Random(1).nextBytes(data);
        try (BlockDevice disk = BlockImages.open(path, ImageFormat.RAW, false)) {
            assertEquals(8 * MIB, disk.size());
            assertEquals(List.of(new Extent(0, 8 * MIB, Allocation.ZERO)), QemuImg.map(disk));
            Images.write(disk, 2 * MIB, data, 0, data.length);
            Images.assertContent(data, Images.read(disk, 2 * MIB, data.length), "written range");
            Images.assertContent(new byte[4096], Images.read(disk, 0, 4096), "hole");
            assertEquals(List.of(new Extent(0, 2 * MIB, Allocation.ZERO),
                    new Extent(2 * MIB, data.length, Allocation.DATA),
                    new Extent(2 * MIB + data.length, 6 * MIB - data.length, Allocation.ZERO)), QemuImg.map(disk));
        }
    }

    @Test
    void writeZeroesWithUnmapPunchesAHoleAndWithoutKeepsTheSpace() throws IOException {
        Path path = dir.resolve("disk.raw");
        BlockImages.createRaw(path, 4 * MIB);
        byte[] ones = new byte[2 * MIB];
        java.util.Arrays.fill(ones, (byte) 1);
        try (BlockDevice disk = BlockImages.open(path, ImageFormat.RAW, false)) {
            Images.write(disk, 0, ones, 0, ones.length);
            disk.writeZeroes(0, MIB, true);
            disk.writeZeroes(MIB, 512 * 1024, false);
            Images.assertContent(new byte[MIB + 512 * 1024], Images.read(disk, 0, MIB + 512 * 1024), "zeroed");
            Images.assertContent(java.util.Arrays.copyOf(ones, 512 * 1024), Images.read(disk, MIB + 512 * 1024, 512 * 1024),
                    "untouched");
            assertEquals(new Extent(0, MIB, Allocation.ZERO), disk.allocation(0, 4 * MIB));
            assertEquals(Allocation.DATA, disk.allocation(MIB, MIB).allocation(), "zeroed without unmap keeps its blocks");
        }
    }

    @Test
    void allocationAgreesWithQemuImgMap() throws Exception {
        QemuImg.assumeAvailable();
        Path path = dir.resolve("disk.raw");
        BlockImages.createRaw(path, 16 * MIB);
        Random random = new Random(7);
        try (BlockDevice disk = BlockImages.open(path, ImageFormat.RAW, false)) {
            for (int i = 0; i < 20; i++) {
                byte[] data = new byte[(1 + random.nextInt(16)) * 4096];
                random.nextBytes(data);
                Images.write(disk, random.nextInt(16 * MIB / 4096 - 16) * 4096L, data, 0, data.length);
            }
            disk.flush();
            assertEquals(QemuImg.map(path), QemuImg.map(disk));
        }
    }

    @Test
    void observerSeesEachWriteAfterItsDataIsInTheImage() throws IOException {
        Path path = dir.resolve("disk.raw");
        BlockImages.createRaw(path, MIB);
        try (BlockDevice disk = BlockImages.open(path, ImageFormat.RAW, false)) {
            List<String> seen = new ArrayList<>();
            BlockDevice.Registration registration = disk.observe((offset, length) -> {
                try {
                    seen.add(offset + "+" + length + "=" + Images.read(disk, offset, 512)[0]);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] sevens = new byte[512];
            java.util.Arrays.fill(sevens, (byte) 7);
            Images.write(disk, 4096, sevens, 0, 512);
            disk.writeZeroes(4096, 8192, true);
            registration.close();
            Images.write(disk, 0, new byte[512], 0, 512);
            assertEquals(List.of("4096+512=7", "4096+8192=0"), seen);
        }
    }

    @Test
    void readOnlyAndMisalignedRequestsAreRefused() throws IOException {
        Path path = dir.resolve("disk.raw");
        BlockImages.createRaw(path, MIB);
        try (BlockDevice disk = BlockImages.open(path, ImageFormat.RAW, true)) {
            ImageException e = assertThrows(ImageException.class, () -> disk.write(0, MemorySegment.ofArray(new byte[512])));
            assertEquals(path + ": write refused: the image is open read-only", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> disk.read(100, MemorySegment.ofArray(new byte[512])));
            assertThrows(IllegalArgumentException.class, () -> disk.read(MIB, MemorySegment.ofArray(new byte[512])));
        }
        Files.write(path, new byte[1000]);
        ImageException e = assertThrows(ImageException.class, () -> BlockImages.open(path, ImageFormat.RAW, true));
        assertTrue(e.getMessage().contains("not a multiple of 512"), e.getMessage());
    }

    @Test
    void heapBuffersWorkThroughABounceBuffer() throws IOException {
        Path path = dir.resolve("disk.raw");
        BlockImages.createRaw(path, 4 * MIB);
        byte[] data = new byte[3 * MIB];
        new Random(3).nextBytes(data);
        try (BlockDevice disk = BlockImages.open(path, false)) {
            disk.write(512, MemorySegment.ofArray(data));
            byte[] back = new byte[data.length];
            disk.read(512, MemorySegment.ofArray(back));
            Images.assertContent(data, back, "heap round trip");
        }
    }
}
