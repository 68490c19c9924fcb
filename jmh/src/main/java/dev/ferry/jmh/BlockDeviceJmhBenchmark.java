package dev.ferry.jmh;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whether the disk path can feed a block migration: one timed operation is one read or write
 * of {@code blockBytes} between an off-heap buffer and a 256 MiB image (raw, or qcow2 with
 * 64 KiB clusters), all clusters allocated beforehand, so it measures the steady-state path
 * (L2 cache lookups plus pread/pwrite through the page cache), not cluster allocation.
 * Bytes per second = ops/s times {@code blockBytes}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BlockDeviceJmhBenchmark {

    private static final long IMAGE_BYTES = 256L << 20;

    @Param({"raw", "qcow2"})
    String format;

    @Param({"4096", "65536", "1048576"})
    int blockBytes;

    @Param({"sequential", "random"})
    String pattern;

    private Path dir;
    private BlockDevice device;
    private Arena arena;
    private MemorySegment buffer;
    private SplittableRandom random;
    private long blocks;
    private long sequential;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("ferry-block-jmh");
        Path image = dir.resolve("disk." + format);
        if (format.equals("raw")) {
            BlockImages.createRaw(image, IMAGE_BYTES);
        } else {
            BlockImages.createQcow2(image, IMAGE_BYTES, BlockImages.DEFAULT_CLUSTER_SIZE);
        }
        device = BlockImages.open(image, ImageFormat.fromId(format), false);
        arena = Arena.ofShared();
        MemorySegment fill = arena.allocate(1 << 20, 4096);
        fill.fill((byte) 0x5a);
        for (long offset = 0; offset < IMAGE_BYTES; offset += fill.byteSize()) {
            device.write(offset, fill);
        }
        device.flush();
        buffer = arena.allocate(blockBytes, 4096);
        random = new SplittableRandom(1);
        blocks = IMAGE_BYTES / blockBytes;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        device.close();
        arena.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private long nextOffset() {
        if (pattern.equals("random")) {
            return random.nextLong(blocks) * blockBytes;
        }
        long offset = sequential * blockBytes;
        sequential = (sequential + 1) % blocks;
        return offset;
    }

    @Benchmark
    public MemorySegment read() throws IOException {
        device.read(nextOffset(), buffer);
        return buffer;
    }

    @Benchmark
    public MemorySegment write() throws IOException {
        device.write(nextOffset(), buffer);
        return buffer;
    }
}
