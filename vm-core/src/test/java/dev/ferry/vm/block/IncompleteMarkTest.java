package dev.ferry.vm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The incomplete mark of a destination image: written, kept with a reason, cleared; on qcow2 v3 with the corrupt bit. */
class IncompleteMarkTest {

    @TempDir
    Path dir;

    @Test
    void rawImageCarriesItsMarkBesideIt() throws Exception {
        Path image = dir.resolve("disk.raw");
        BlockImages.createRaw(image, 1 << 20);
        IncompleteMark.begin(image);
        assertTrue(IncompleteMark.read(image).orElseThrow().reason().contains("was writing it"));
        IncompleteMark.fail(image, "the source closed the connection");
        IncompleteMark mark = IncompleteMark.read(image).orElseThrow();
        assertEquals("incoming migration failed: the source closed the connection", mark.reason());
        assertFalse(mark.corruptBit(), "raw has no header to mark");
        IncompleteMark.clear(image);
        assertTrue(IncompleteMark.read(image).isEmpty());
        assertEquals(java.util.List.of(image), Files.list(dir).toList());
    }

    @Test
    void failedQcow2GetsTheCorruptBitWhichQemuHonoursAndRetryClears() throws Exception {
        Path image = dir.resolve("disk.qcow2");
        BlockImages.createQcow2(image, 1 << 20, BlockImages.DEFAULT_CLUSTER_SIZE);
        IncompleteMark.begin(image);
        assertFalse(BlockImages.info(image).corrupt(), "the migration itself must still open it read-write");
        IncompleteMark.fail(image, "killed");
        assertTrue(BlockImages.info(image).corrupt());
        assertTrue(IncompleteMark.read(image).orElseThrow().corruptBit());
        ImageException refused = assertThrows(ImageException.class, () -> BlockImages.open(image, ImageFormat.QCOW2, false));
        assertTrue(refused.getMessage().contains("marked corrupt"), refused.getMessage());
        if (Files.isExecutable(Path.of("/usr/bin/qemu-img"))) {
            assertTrue(QemuImg.ok("qemu-img", "info", image.toString()).contains("corrupt: true"));
        }
        IncompleteMark.begin(image); // the retry
        assertFalse(BlockImages.info(image).corrupt());
        IncompleteMark.clear(image);
        assertFalse(BlockImages.info(image).corrupt());
        assertTrue(IncompleteMark.read(image).isEmpty());
        BlockImages.open(image, ImageFormat.QCOW2, false).close();
    }

    @Test
    void aCorruptBitFerryDidNotSetStays() throws Exception {
        Path image = dir.resolve("disk.qcow2");
        BlockImages.createQcow2(image, 1 << 20, BlockImages.DEFAULT_CLUSTER_SIZE);
        IncompleteMark.fail(image, "first failure");
        Files.delete(IncompleteMark.file(image)); // someone removed Ferry's mark: the bit is no longer Ferry's to clear
        IncompleteMark.begin(image);
        IncompleteMark.clear(image);
        assertTrue(BlockImages.info(image).corrupt(), "only a bit Ferry's own mark records is cleared");
    }

    @Test
    void unreadableMarkStillMarks() throws Exception {
        Path image = dir.resolve("disk.raw");
        BlockImages.createRaw(image, 1 << 20);
        Files.writeString(IncompleteMark.file(image), "\u0000garbage\nsince: yesterday\n");
        IncompleteMark mark = IncompleteMark.read(image).orElseThrow();
        assertTrue(mark.describe().contains("unreadable mark file"), mark.describe());
    }
}
