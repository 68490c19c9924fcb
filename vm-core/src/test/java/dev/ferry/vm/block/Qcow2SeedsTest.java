package dev.ferry.vm.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed images of {@link Qcow2FuzzTest}: small qcow2 files (512-byte clusters) made by
 * qemu-img/qemu-io and by Ferry, v2 and v3, with data, zero clusters and backing files. The
 * valid ones must still read exactly as qemu-img reads them, so the fuzzer starts deep.
 */
class Qcow2SeedsTest {

    static final Path INPUTS = Path.of("src/test/resources/dev/ferry/vm/block/Qcow2FuzzTestInputs/openAndRead");
    private static final List<String> VALID = List.of("valid-qemu-v3", "valid-qemu-v2", "valid-qemu-overlay-raw",
            "valid-qemu-overlay-qcow2", "valid-ferry", "valid-ferry-overlay");
    private static final String MISSING_BACKING = "missing-backing";

    @TempDir
    Path dir;

    @Test
    void validSeedsReadAsQemuReadsThem() throws Exception {
        QemuImg.assumeAvailable();
        FuzzSandbox.populate(dir);
        Path image = dir.resolve(FuzzSandbox.IMAGE);
        for (String seed : VALID) {
            Files.copy(INPUTS.resolve(seed), image, StandardCopyOption.REPLACE_EXISTING);
            try (BlockDevice device = BlockImages.open(image, ImageFormat.QCOW2, true)) {
                Images.assertContent(QemuImg.contentOf(image, dir), Images.readAll(device), seed);
            }
        }
    }

    @Test
    void missingBackingSeedFailsNamingTheBackingFile() throws Exception {
        FuzzSandbox.populate(dir);
        Path image = dir.resolve(FuzzSandbox.IMAGE);
        Files.copy(INPUTS.resolve(MISSING_BACKING), image);
        ImageException e = assertThrows(ImageException.class, () -> BlockImages.open(image, ImageFormat.QCOW2, true));
        assertEquals("backing file 'gone.qcow2' (" + dir.resolve("gone.qcow2") + ") does not exist", e.problem());
    }

    /** Regenerates the seeds: {@code -Dferry.fuzz.writeSeeds=true -Dtest=Qcow2SeedsTest#writeSeeds}. */
    @Test
    @EnabledIfSystemProperty(named = "ferry.fuzz.writeSeeds", matches = "true")
    void writeSeeds() throws Exception {
        QemuImg.assumeAvailable();
        FuzzSandbox.populate(dir);
        String cluster = "cluster_size=" + FuzzSandbox.CLUSTER;
        qemu("valid-qemu-v3", List.of("-o", cluster), "write -P 0xab 0 4k", "write -P 0x11 8k 4k", "write -z 9k 2k",
                "write -P 0x22 60k 4k");
        qemu("valid-qemu-v2", List.of("-o", cluster + ",compat=0.10"), "write -P 0xab 0 4k", "write -P 0x22 60k 4k");
        qemu("valid-qemu-overlay-raw", List.of("-o", cluster, "-b", FuzzSandbox.RAW_BASE, "-F", "raw"),
                "write -P 0x33 16k 1k", "write -z 20k 4k");
        qemu("valid-qemu-overlay-qcow2", List.of("-o", cluster, "-b", FuzzSandbox.QCOW2_BASE, "-F", "qcow2"),
                "write -P 0x44 30k 3k");
        qemu(MISSING_BACKING, List.of("-o", cluster, "-b", "gone.qcow2", "-F", "qcow2", "-u"));
        Path ferry = dir.resolve("valid-ferry");
        BlockImages.createQcow2(ferry, FuzzSandbox.BASE_SIZE, FuzzSandbox.CLUSTER);
        ferryWrites(ferry);
        Path overlay = dir.resolve("valid-ferry-overlay");
        BlockImages.createQcow2Overlay(overlay, dir.resolve(FuzzSandbox.QCOW2_BASE), FuzzSandbox.CLUSTER);
        ferryWrites(overlay);
        Files.createDirectories(INPUTS);
        for (String seed : VALID) {
            Files.copy(dir.resolve(seed), INPUTS.resolve(seed), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.copy(dir.resolve(MISSING_BACKING), INPUTS.resolve(MISSING_BACKING), StandardCopyOption.REPLACE_EXISTING);
    }

    private void qemu(String name, List<String> options, String... writes) throws IOException, InterruptedException {
        Path image = dir.resolve(name);
        List<String> create = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
        create.addAll(options);
        create.addAll(List.of(image.toString(), Long.toString(FuzzSandbox.BASE_SIZE)));
        QemuImg.ok(create.toArray(String[]::new));
        for (String write : writes) {
            QemuImg.ok("qemu-io", "-f", "qcow2", "-c", write, image.toString());
        }
    }

    private static void ferryWrites(Path image) throws IOException {
        try (BlockDevice device = BlockImages.open(image, ImageFormat.QCOW2, false)) {
            byte[] data = new byte[3 * FuzzSandbox.CLUSTER];
            Arrays.fill(data, (byte) 0x5c);
            Images.write(device, 2 * FuzzSandbox.CLUSTER, data, 0, data.length);
            Images.write(device, 40 << 10, data, 0, FuzzSandbox.CLUSTER);
            device.writeZeroes(20 << 10, 4 * FuzzSandbox.CLUSTER, false);
        }
    }
}
