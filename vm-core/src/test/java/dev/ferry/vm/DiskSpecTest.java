package dev.ferry.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw disk whose guest wrote a qcow2 header (naming a host file as its backing file) into its
 * first sector: with {@code format=raw} it stays the guest's raw bytes; only a probe is fooled.
 */
class DiskSpecTest {

    private static final long SIZE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aNamedRawFormatIsNotProbedEvenWhenTheGuestWroteAQcow2Header() throws Exception {
        Path hostSecret = Files.write(dir.resolve("host-secret"), new byte[4096]);
        Path header = dir.resolve("header.qcow2");
        BlockImages.createQcow2Overlay(header, hostSecret);
        byte[] qcow2Header = Files.readAllBytes(header);
        Path disk = dir.resolve("disk.raw");
        Files.write(disk, Arrays.copyOf(qcow2Header, (int) SIZE));

        try (BlockDevice raw = new DiskSpec(disk, Optional.of(ImageFormat.RAW), false).open()) {
            assertEquals(ImageFormat.RAW, raw.format());
            assertEquals(SIZE, raw.size());
            byte[] first = new byte[qcow2Header.length];
            raw.read(0, MemorySegment.ofArray(first));
            assertArrayEquals(qcow2Header, first);
        }
        try (BlockDevice probed = DiskSpec.of(disk).open()) {
            assertEquals(ImageFormat.QCOW2, probed.format(), "the probe reads the guest's bytes as qcow2");
        }
    }
}
