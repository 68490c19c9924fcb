package dev.ferry.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
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
 * Which off-heap buffer should carry migration chunks: the timed region copies one chunk of
 * disk or RAM bytes (already off-heap, as a mapped image or guest memory is) into the stream
 * buffer, the copy every chunk pays before it reaches the channel.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-modules=jdk.unsupported",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow"})
public class StreamBufferJmhBenchmark {

    @Param({"65536", "1048576"})
    int chunkBytes;

    private Arena arena;
    private MemorySegment source;
    private MemorySegment segmentBuffer;
    private ByteBuffer directBuffer;
    private Bytes<Void> chronicleBuffer;
    private BytesStore<?, ?> chronicleSource;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        source = arena.allocate(chunkBytes, 4096);
        byte[] random = new byte[chunkBytes];
        ThreadLocalRandom.current().nextBytes(random);
        MemorySegment.copy(MemorySegment.ofArray(random), 0, source, 0, chunkBytes);
        segmentBuffer = arena.allocate(chunkBytes, 4096);
        directBuffer = ByteBuffer.allocateDirect(chunkBytes);
        chronicleBuffer = Bytes.allocateElasticDirect(chunkBytes);
        chronicleSource = BytesStore.wrap(source.asByteBuffer());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        chronicleBuffer.releaseLast();
        arena.close();
    }

    @Benchmark
    public MemorySegment memorySegment() {
        MemorySegment.copy(source, 0, segmentBuffer, 0, chunkBytes);
        return segmentBuffer;
    }

    @Benchmark
    public ByteBuffer directByteBuffer() {
        directBuffer.clear();
        directBuffer.put(source.asByteBuffer());
        return directBuffer;
    }

    @Benchmark
    public Bytes<Void> chronicleBytes() {
        chronicleBuffer.clear();
        chronicleBuffer.write(chronicleSource);
        return chronicleBuffer;
    }
}
