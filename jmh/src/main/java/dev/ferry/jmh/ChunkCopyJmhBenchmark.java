package dev.ferry.jmh;

import dev.ferry.blockmig.BlockSourceSection;
import dev.ferry.blockmig.CopyMode;
import dev.ferry.blockmig.CopyOptions;
import dev.ferry.blockmig.DiskProgress;
import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.stream.FrameOutput;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.StreamFormat;
import dev.ferry.transport.MigrationChannel;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * The disk copy's hot path, from a real raw image in the page cache into a loopback TCP socket
 * drained by another thread: one timed operation copies the whole 256 MiB image. MB/s = 268 /
 * (seconds per operation). Three depths of the same path, so that the differences say where the
 * time goes:
 * <ul>
 *   <li>{@code blockSection}: what a migration runs: a {@link BlockSourceSection} (zero probe,
 *       read straight into the frame, XXH3-128 granule digests, zero markers) through savevm's
 *       frame writer (CRC32C per frame) with 4 MiB frames;
 *   <li>{@code readIntoFrame}: each 1 MiB chunk read into the frame writer's buffer, 4 per
 *       frame, CRC and write: framing without the section's logic;
 *   <li>{@code readIntoBuffer}: read into one direct buffer and write it: the plain copy.
 * </ul>
 * {@code content}: {@code random} is all data; {@code half-zero} is the demo's disk (the second
 * half a hole, which a block section sends as one zero marker per chunk).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ChunkCopyJmhBenchmark {

    private static final long IMAGE_BYTES = 256L << 20;
    private static final int CHUNK = 1 << 20;
    private static final int CHUNKS_PER_FRAME = StreamFormat.WRITER_PAYLOAD / CHUNK;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Param({"random", "half-zero"})
    String content;

    private Path dir;
    private BlockDevice device;
    private MigrationChannel sender;
    private MigrationChannel receiver;
    private CompletableFuture<Long> drained;
    private FrameWriter writer;
    private Arena arena;
    private MemorySegment buffer;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("ferry-chunk-jmh");
        Path image = dir.resolve("disk.raw");
        BlockImages.createRaw(image, IMAGE_BYTES);
        device = BlockImages.open(image, ImageFormat.RAW, false);
        arena = Arena.ofShared();
        buffer = arena.allocate(CHUNK, 4096);
        SplittableRandom random = new SplittableRandom(1);
        long dataBytes = content.equals("random") ? IMAGE_BYTES : IMAGE_BYTES / 2;
        for (long at = 0; at < dataBytes; at += CHUNK) {
            for (long word = 0; word < CHUNK; word += Long.BYTES) {
                buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, word, random.nextLong());
            }
            device.write(at, buffer);
        }
        ChannelPair pair = ChannelPair.open("tcp:127.0.0.1:0", TIMEOUT);
        sender = pair.sender();
        receiver = pair.receiver();
        drained = ChannelPair.drain(receiver, StreamFormat.WRITER_PAYLOAD);
        writer = FrameWriter.unthrottled(sender, StreamFormat.WRITER_PAYLOAD);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sender.close();
        drained.join();
        receiver.close();
        writer.close();
        device.close();
        arena.close();
        Files.delete(dir.resolve("disk.raw"));
        Files.delete(dir);
    }

    @Benchmark
    public long blockSection() throws IOException {
        BlockSourceSection section = new BlockSourceSection("vda", device, CopyOptions.of(CopyMode.FULL), DiskProgress.NONE);
        FrameOutput out = new FrameOutput(writer, 1, section.id());
        try {
            out.open(FrameKind.START);
            section.setup(out);
            out.finish(false);
            while (section.pendingBytes() > 0) {
                out.open(FrameKind.PART);
                section.iterate(out, 64L << 20);
                out.finish(false);
            }
            out.open(FrameKind.PART);
            section.complete(out);
            out.finish(true);
        } finally {
            section.cleanup(true);
        }
        return out.sent();
    }

    @Benchmark
    public long readIntoFrame() throws IOException {
        long sent = 0;
        for (long at = 0; at < IMAGE_BYTES; ) {
            writer.begin(1);
            for (int i = 0; i < CHUNKS_PER_FRAME && at < IMAGE_BYTES; i++, at += CHUNK) {
                device.read(at, writer.claim(CHUNK));
            }
            sent += writer.seal(FrameKind.PART);
        }
        return sent;
    }

    @Benchmark
    public long readIntoBuffer() throws IOException {
        ByteBuffer bytes = buffer.asByteBuffer();
        for (long at = 0; at < IMAGE_BYTES; at += CHUNK) {
            device.read(at, buffer);
            bytes.clear();
            while (bytes.hasRemaining()) {
                sender.write(bytes);
            }
        }
        return IMAGE_BYTES;
    }
}
