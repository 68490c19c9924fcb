package dev.ferry.vm.block;

import static dev.ferry.vm.block.Images.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Damaged or unsupported images fail with one line naming the file and the problem, and are never written. */
class BadImageTest {

    @TempDir
    Path dir;

    private Path qcow2(String name) throws Exception {
        Path path = dir.resolve(name);
        BlockImages.createQcow2(path, 4 * MIB, 65536);
        return path;
    }

    private static void poke(Path path, long offset, long value, int bytes) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.seek(offset);
            for (int i = bytes - 1; i >= 0; i--) {
                file.write((int) (value >>> (8 * i)));
            }
        }
    }

    private static long peek(Path path, long offset) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "r")) {
            file.seek(offset);
            return file.readLong();
        }
    }

    private static String openFails(Path path, boolean readOnly) {
        return assertThrows(ImageException.class, () -> BlockImages.open(path, ImageFormat.QCOW2, readOnly)).getMessage();
    }

    @Test
    void wrongMagic() throws Exception {
        Path path = qcow2("magic.qcow2");
        poke(path, 0, 0x12345678, 4);
        assertEquals(path + ": not a qcow2 image (magic 0x12345678, expected 0x514649fb)", openFails(path, true));
    }

    @Test
    void truncatedHeaderAndTables() throws Exception {
        Path path = qcow2("short.qcow2");
        try (var channel = Files.newByteChannel(path, StandardOpenOption.WRITE)) {
            channel.truncate(40);
        }
        assertEquals(path + ": truncated: 40 bytes is too short for a qcow2 header", openFails(path, true));
        Path tables = qcow2("tables.qcow2");
        long l1 = peek(tables, 40);
        try (var channel = Files.newByteChannel(tables, StandardOpenOption.WRITE)) {
            channel.truncate(l1);
        }
        assertEquals(tables + ": truncated: L1 table at " + l1 + "+8 ends past the end of the file (" + l1 + " bytes)",
                openFails(tables, true));
    }

    @Test
    void dataClusterPastTheEndIsRefusedOnReadAndNeverWritten() throws Exception {
        Path path = qcow2("range.qcow2");
        try (BlockDevice disk = BlockImages.open(path, false)) {
            Images.write(disk, 0, new byte[65536], 0, 65536);
        }
        long l1 = peek(path, 40);
        long l2 = peek(path, l1) & Qcow2Mask.OFFSET;
        poke(path, l2, (1L << 63) | (1L << 40), 8);
        long length = Files.size(path);
        try (BlockDevice disk = BlockImages.open(path, false)) {
            String expected = path + ": L2 entry for guest offset 0 points at host offset " + (1L << 40)
                    + ", past the end of the file (" + length + " bytes)";
            assertEquals(expected, assertThrows(ImageException.class, () -> Images.read(disk, 0, 512)).getMessage());
            assertEquals(expected, assertThrows(ImageException.class,
                    () -> Images.write(disk, 0, new byte[512], 0, 512)).getMessage());
        }
        assertEquals(length, Files.size(path), "nothing was written");
    }

    @Test
    void compressedClustersAreRefused() throws Exception {
        QemuImg.assumeAvailable();
        Path raw = dir.resolve("src.raw");
        Files.write(raw, new byte[MIB]);
        try (BlockDevice disk = BlockImages.open(raw, false)) {
            byte[] text = "compress me ".repeat(6000).getBytes();
            Images.write(disk, 0, text, 0, 65536);
        }
        Path path = dir.resolve("compressed.qcow2");
        QemuImg.ok("qemu-img", "convert", "-c", "-O", "qcow2", raw.toString(), path.toString());
        try (BlockDevice disk = BlockImages.open(path, true)) {
            assertEquals(path + ": compressed cluster at guest offset 0: compressed clusters are not supported",
                    assertThrows(ImageException.class, () -> Images.read(disk, 0, 512)).getMessage());
        }
    }

    @Test
    void snapshotsAndEncryptionAreRefused() throws Exception {
        Path snap = qcow2("snap.qcow2");
        poke(snap, 60, 1, 4);
        assertEquals(snap + ": has 1 internal snapshot(s), which Ferry does not support", openFails(snap, true));
        Path crypt = qcow2("crypt.qcow2");
        poke(crypt, 32, 2, 4);
        assertEquals(crypt + ": encrypted qcow2 images are not supported (crypt_method 2)", openFails(crypt, true));
        Path data = qcow2("datafile.qcow2");
        poke(data, 72, 4, 8);
        assertEquals(data + ": qcow2 images with an external data file are not supported", openFails(data, true));
    }

    @Test
    void missingBackingFileAndLoopsNameTheOverlay() throws Exception {
        Path base = qcow2("base.qcow2");
        Path overlay = dir.resolve("overlay.qcow2");
        BlockImages.createQcow2Overlay(overlay, base);
        Files.move(base, dir.resolve("gone.qcow2"));
        assertEquals(overlay + ": backing file 'base.qcow2' (" + base + ") does not exist", openFails(overlay, true));

        Path a = qcow2("a.qcow2");
        Path b = dir.resolve("b.qcow2");
        BlockImages.createQcow2Overlay(b, a);
        Path aOverB = dir.resolve("a-over-b.qcow2");
        BlockImages.createQcow2Overlay(aOverB, b);
        Files.move(aOverB, a, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(b + ": backing chain loops: backing file 'a.qcow2' is already in the chain", openFails(a, true));
    }

    @Test
    void backingNameWithANulByteIsRefusedBeforeAnyPathIsMade() throws Exception {
        Path overlay = dir.resolve("nul.qcow2");
        BlockImages.createQcow2Overlay(overlay, qcow2("base.qcow2"));
        long nameOffset = peek(overlay, 8);
        poke(overlay, nameOffset + 4, 0, 1);
        String problem = ": backing file name at " + nameOffset + " contains a NUL byte";
        assertEquals(overlay + problem, openFails(overlay, true));
        assertEquals(overlay + problem, assertThrows(ImageException.class, () -> BlockImages.info(overlay)).getMessage());
    }

    @Test
    void virtualSizeNearTwoToTheSixtyThreeIsRefusedNotOverflowed() throws Exception {
        Path path = qcow2("huge.qcow2");
        poke(path, 24, Long.MAX_VALUE & ~511L, 8);
        assertEquals(path + ": L1 table of 1 entries is too small for virtual size " + (Long.MAX_VALUE & ~511L),
                openFails(path, true));
    }

    @Test
    void l1TableOverQemusLimitIsRefusedBeforeAllocating() throws Exception {
        Path path = qcow2("wide.qcow2");
        int entries = (32 << 20) / 8 + 1;
        poke(path, 36, entries, 4);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(peek(path, 40) + entries * 8L);
        }
        assertEquals(path + ": L1 table of " + entries + " entries exceeds the limit of " + (entries - 1)
                + " (32 MiB, as in QEMU)", openFails(path, true));
    }

    /** A guard, not a speed target: before the fix this one call looped for most of an hour. */
    @Test
    @Timeout(30)
    void emptyExabyteImageFromASparseFileIsOneZeroExtent() throws Exception {
        Path path = qcow2("exabyte.qcow2");
        int clusterBits = 21;
        long cluster = 1L << clusterBits;
        int l1Entries = (int) (cluster / 8);
        long size = l1Entries * cluster * (cluster / 8);
        poke(path, 20, clusterBits, 4);
        poke(path, 24, size, 8);
        poke(path, 36, l1Entries, 4);
        poke(path, 40, cluster, 8);
        poke(path, 48, 2 * cluster, 8);
        poke(path, 56, 1, 4);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(3 * cluster);
            file.seek(cluster);
            file.write(new byte[(int) (2 * cluster)]);
        }
        try (BlockDevice device = BlockImages.open(path, ImageFormat.QCOW2, true)) {
            assertEquals(new Extent(0, size, Allocation.ZERO), device.allocation(0, size));
        }
    }

    @Test
    void corruptImagesOpenOnlyReadOnly() throws Exception {
        Path corrupt = qcow2("corrupt.qcow2");
        poke(corrupt, 72, 2, 8);
        assertEquals(corrupt + ": marked corrupt; open it read-only or repair it with 'qemu-img check -r all'",
                openFails(corrupt, false));
        BlockImages.open(corrupt, true).close();
        assertEquals(true, BlockImages.info(corrupt).corrupt());
    }

    @Test
    void dirtyImageWithADoublyUsedClusterIsNotRepaired() throws Exception {
        Path path = qcow2("shared.qcow2");
        try (BlockDevice disk = BlockImages.open(path, false)) {
            Images.write(disk, 0, new byte[2 * 65536], 0, 2 * 65536);
        }
        long l1 = peek(path, 40);
        long l2 = peek(path, l1) & Qcow2Mask.OFFSET;
        long first = peek(path, l2);
        poke(path, l2 + 8, first, 8);
        poke(path, 72, 1, 8);
        assertEquals(path + ": the data cluster of guest offset 65536 shares host cluster " + (first & Qcow2Mask.OFFSET)
                + " with other data; repair it with 'qemu-img check -r all'", openFails(path, false));
    }

    @Test
    void directoryIsNotAnImage() {
        assertEquals(dir + ": is a directory, not a disk image",
                assertThrows(ImageException.class, () -> BlockImages.open(dir, true)).getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path path = dir.resolve("nothing.qcow2");
        assertEquals(path + ": no such file",
                assertThrows(ImageException.class, () -> BlockImages.open(path, true)).getMessage());
    }
}
