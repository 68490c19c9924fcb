package dev.ferry.jmh;

import dev.ferry.blockmig.ZeroChunks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * Zero-chunk detection on an off-heap chunk whose only non-zero byte is the last one (the worst
 * case: every byte is looked at). {@code mismatch} is what the block migration uses; {@code
 * longLoop} is the plain loop it replaces. Throughput in chunks per second; × chunk size = bytes/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ZeroChunkJmhBenchmark {

    @Param({"65536", "1048576"})
    int chunkBytes;

    private Arena arena;
    private MemorySegment chunk;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        chunk = arena.allocate(chunkBytes, 4096);
        chunk.set(ValueLayout.JAVA_BYTE, chunkBytes - 1, (byte) 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public boolean mismatch() {
        return ZeroChunks.isZero(chunk);
    }

    @Benchmark
    public boolean longLoop() {
        for (long at = 0; at < chunkBytes; at += Long.BYTES) {
            if (chunk.get(ValueLayout.JAVA_LONG_UNALIGNED, at) != 0) {
                return false;
            }
        }
        return true;
    }
}
