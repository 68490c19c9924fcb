package dev.ferry.vm.block;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The folder a fuzzed qcow2 lives in, with the two backing files its seeds name: {@code base.raw}
 * and {@code base.qcow2}, 64 KiB each with a known pattern. The fuzz target follows a backing
 * name only when it resolves inside this folder.
 */
final class FuzzSandbox {

    static final String IMAGE = "fuzz.qcow2";
    static final String RAW_BASE = "base.raw";
    static final String QCOW2_BASE = "base.qcow2";
    static final long BASE_SIZE = 64 << 10;
    static final int CLUSTER = 512;

    private FuzzSandbox() {
    }

    /** Creates the backing files in {@code dir}. */
    static void populate(Path dir) throws IOException {
        BlockImages.createRaw(dir.resolve(RAW_BASE), BASE_SIZE);
        BlockImages.createQcow2(dir.resolve(QCOW2_BASE), BASE_SIZE, CLUSTER);
        for (String name : new String[] {RAW_BASE, QCOW2_BASE}) {
            try (BlockDevice base = BlockImages.open(dir.resolve(name), false); Arena arena = Arena.ofConfined()) {
                MemorySegment pattern = arena.allocate(BASE_SIZE / 2, 4096);
                for (long i = 0; i < pattern.byteSize(); i++) {
                    pattern.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
                }
                base.write(BASE_SIZE / 4, pattern);
            }
        }
    }

    /** Whether a backing name in {@code image}'s header resolves inside {@code dir}. */
    static boolean confined(Path dir, Path image, String backingName) {
        return BlockImages.resolveBacking(image, backingName).startsWith(dir.toAbsolutePath().normalize());
    }
}
