package dev.ferry.monitor.demo;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The demo's disks: a raw image whose first half is random data and second half zeroes (a hole),
 * and for the incremental demo a qcow2 overlay of it with some data of its own.
 */
final class DemoDisks {

    private static final int CHUNK = 1 << 20;

    private DemoDisks() {
    }

    /** A raw image of {@code size}: random data in the first half, a hole in the second. */
    static void halfRandom(Path path, long size, long seed) throws IOException {
        BlockImages.createRaw(path, size);
        try (BlockDevice disk = BlockImages.open(path, ImageFormat.RAW, false)) {
            writeRandom(disk, 0, size / 2, 1, seed);
            disk.flush();
        }
    }

    /**
     * A qcow2 overlay of {@code backing} with {@code dataBytes} of random data of its own, spread
     * evenly over the disk in 1 MiB pieces: what an incremental migration sends.
     */
    static void overlay(Path path, Path backing, long dataBytes, long seed) throws IOException {
        BlockImages.createQcow2Overlay(path, backing);
        try (BlockDevice disk = BlockImages.open(path, ImageFormat.QCOW2, false)) {
            long pieces = Math.max(1, dataBytes / CHUNK);
            long stride = Math.max(1, disk.size() / CHUNK / pieces);
            writeRandom(disk, 0, Math.min(dataBytes, disk.size()), stride, seed);
            disk.flush();
        }
    }

    /** Writes {@code bytes} of random data from {@code start}, one 1 MiB piece every {@code stride} MiB. */
    private static void writeRandom(BlockDevice disk, long start, long bytes, long stride, long seed) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(CHUNK, 4096);
            long state = seed;
            long offset = start;
            for (long written = 0; written < bytes && offset < disk.size(); written += CHUNK, offset += stride * CHUNK) {
                for (long i = 0; i < CHUNK / 8; i++) {
                    state += 0x9e3779b97f4a7c15L;
                    long z = state;
                    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
                    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
                    buffer.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, z ^ (z >>> 31));
                }
                long length = Math.min(CHUNK, Math.min(bytes - written, disk.size() - offset));
                disk.write(offset, buffer.asSlice(0, length));
            }
        }
    }
}
