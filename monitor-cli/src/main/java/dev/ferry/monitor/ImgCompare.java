package dev.ferry.monitor;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry img compare [-f FMT] [-F FMT] A B}: the guest-visible contents, as qemu-img compares
 * them: exit 0 and "Images are identical.", or exit 1 and the first differing 512-byte sector. Past
 * the smaller image's end the larger must read as zeroes.
 */
@Command(name = "compare", description = "Compare two images' contents (exit 0: identical, 1: they differ).")
final class ImgCompare implements Callable<Integer> {

    private static final int CHUNK = 1 << 20;

    @Option(names = "-f", paramLabel = "FORMAT", description = "The first image's format.")
    String firstFormat;

    @Option(names = "-F", paramLabel = "FORMAT", description = "The second image's format.")
    String secondFormat;

    @Parameters(index = "0", paramLabel = "A")
    Path first;

    @Parameters(index = "1", paramLabel = "B")
    Path second;

    @Override
    public Integer call() throws IOException {
        try (BlockDevice a = open(first, firstFormat); BlockDevice b = open(second, secondFormat); Arena arena = Arena.ofConfined()) {
            if (a.size() != b.size()) {
                System.out.println("Warning: Image size mismatch!");
            }
            MemorySegment left = arena.allocate(CHUNK, 4096);
            MemorySegment right = arena.allocate(CHUNK, 4096);
            long end = Math.max(a.size(), b.size());
            for (long offset = 0; offset < end; offset += CHUNK) {
                int length = (int) Math.min(CHUNK, end - offset);
                read(a, offset, left, length);
                read(b, offset, right, length);
                long at = left.asSlice(0, length).mismatch(right.asSlice(0, length));
                if (at >= 0) {
                    System.out.println("Content mismatch at offset " + (offset + at / BlockDevice.SECTOR_SIZE * BlockDevice.SECTOR_SIZE) + "!");
                    return 1;
                }
            }
        }
        System.out.println("Images are identical.");
        return 0;
    }

    static BlockDevice open(Path path, String format) throws IOException {
        return format == null ? BlockImages.open(path, true) : BlockImages.open(path, ImageFormat.fromId(format), true);
    }

    /** Reads what the image holds there; past its end, zeroes. */
    private static void read(BlockDevice device, long offset, MemorySegment buffer, int length) throws IOException {
        buffer.asSlice(0, length).fill((byte) 0);
        long inside = Math.min(length, Math.max(0, device.size() - offset));
        if (inside > 0) {
            device.read(offset, buffer.asSlice(0, inside));
        }
    }

    /** Whether a chunk is all zeroes: convert leaves those unwritten, so the copy stays sparse. */
    static boolean zero(MemorySegment chunk) {
        for (long i = 0; i < chunk.byteSize(); i += Long.BYTES) {
            if (chunk.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
