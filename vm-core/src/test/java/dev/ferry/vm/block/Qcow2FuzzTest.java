package dev.ferry.vm.block;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the qcow2 reader: any bytes as a qcow2 file, opened read-only, described, walked for
 * allocation and read in a few ranges. A bad image must fail with an {@link ImageException};
 * any other exception, an error, a hang, or a zero extent that reads as non-zero is a finding.
 * A backing name that resolves outside the sandbox folder is never followed (the product would
 * follow it: see docs/fuzzing.md). Committed inputs run as regression tests in a normal build;
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class Qcow2FuzzTest {

    private static final long READ_BYTES = 64 << 10;
    private static final int EXTENTS_PER_WALK = 64;
    private static final long ZERO_CHECK_BYTES = 4096;

    @TempDir
    static Path dir;

    @BeforeAll
    static void sandbox() throws IOException {
        FuzzSandbox.populate(dir);
    }

    @FuzzTest(maxDuration = "30s")
    void openAndRead(byte[] file) throws IOException {
        Path image = dir.resolve(FuzzSandbox.IMAGE);
        Files.write(image, file);
        try {
            ImageInfo info = BlockImages.info(image);
            Optional<String> backing = info.backingFile();
            if (backing.isPresent() && !FuzzSandbox.confined(dir, image, backing.get())) {
                return;
            }
            try (BlockDevice device = BlockImages.open(image, ImageFormat.QCOW2, true)) {
                exercise(device);
            }
        } catch (ImageException refused) {
            // the expected outcome for a bad image: one line naming the file
        }
    }

    /** What a migration and a guest do with an open image, bounded in time whatever its size. */
    private static void exercise(BlockDevice device) throws IOException {
        BlockImages.backingFile(device);
        long size = device.size();
        long middle = size / 2 / BlockDevice.SECTOR_SIZE * BlockDevice.SECTOR_SIZE;
        long last = Math.max(0, size - READ_BYTES);
        for (long start : new long[] {0, middle, last}) {
            walk(device, start);
            read(device, start, Math.min(READ_BYTES, size - start));
        }
    }

    /** Follows up to {@value #EXTENTS_PER_WALK} extents from {@code start}; zero extents must read as zeroes. */
    private static void walk(BlockDevice device, long start) throws IOException {
        long offset = start;
        for (int i = 0; i < EXTENTS_PER_WALK && offset < device.size(); i++) {
            Extent extent = device.allocation(offset, device.size() - offset);
            if (extent.offset() != offset || extent.end() > device.size()) {
                throw new AssertionError("extent " + extent + " asked at " + offset + " in a " + device.size() + "-byte image");
            }
            if (extent.allocation() == Allocation.ZERO) {
                requireZeroes(device, offset, Math.min(extent.length(), ZERO_CHECK_BYTES));
            }
            offset = extent.end();
        }
    }

    private static void read(BlockDevice device, long offset, long length) throws IOException {
        if (length > 0) {
            try (Arena arena = Arena.ofConfined()) {
                device.read(offset, arena.allocate(length, 4096));
            }
        }
    }

    private static void requireZeroes(BlockDevice device, long offset, long length) throws IOException {
        long sectors = length / BlockDevice.SECTOR_SIZE * BlockDevice.SECTOR_SIZE;
        if (sectors == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(sectors, 4096);
            device.read(offset, bytes);
            long nonZero = bytes.mismatch(arena.allocate(sectors));
            if (nonZero >= 0) {
                throw new AssertionError("byte " + (offset + nonZero) + " of a zero extent reads as non-zero");
            }
        }
    }
}
