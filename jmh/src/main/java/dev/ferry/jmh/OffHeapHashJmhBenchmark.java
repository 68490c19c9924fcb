package dev.ferry.jmh;

import com.dynatrace.hash4j.hashing.ByteAccess;
import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.Hasher128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
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
 * XXH3-128 (hash4j) of a 4 MiB off-heap chunk in granules, a hash per granule as the disk digest
 * ({@code ContentHash}) takes them, four ways: {@code viaArray} copies each granule into a heap array
 * and feeds that to a hash stream (block-migration's way with hash4j up to 0.25, which read arrays
 * only); {@code stream} feeds the segment to a stream through {@link ByteAccess#forMemorySegment};
 * {@code oneShot} hashes each granule in one call through that access, in place;
 * {@code arrayOneShot} copies it into an array and hashes that in one call. {@code granule}: 4 KiB
 * is a disk of up to 4 GiB's, 64 KiB a 64 GiB disk's. {@code cache}: {@code warm} hashes the
 * same chunk every time (it stays in the CPU's caches), {@code cold} walks a 512 MiB region, so
 * every chunk comes from memory as a disk copy's does. Milliseconds per chunk; 4 MiB / that = bytes
 * per second per core.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OffHeapHashJmhBenchmark {

    private static final int CHUNK = 4 << 20;
    private static final long COLD_BYTES = 512L << 20;
    private static final ByteAccess<MemorySegment> SEGMENT = ByteAccess.forMemorySegment(MemorySegment.class);

    @Param({"warm", "cold"})
    String cache;

    @Param({"4096", "65536"})
    int granule;

    private final Hasher128 hasher = Hashing.xxh3_128();
    private final HashStream128 hashStream = hasher.hashStream();
    private byte[] scratch;
    private Arena arena;
    private MemorySegment region;
    private long next;

    @Setup(Level.Trial)
    public void setUp() {
        long bytes = cache.equals("cold") ? COLD_BYTES : CHUNK;
        scratch = new byte[granule];
        arena = Arena.ofShared();
        region = arena.allocate(bytes, 4096);
        SplittableRandom random = new SplittableRandom(1);
        for (long at = 0; at < bytes; at += Long.BYTES) {
            region.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    private MemorySegment nextChunk() {
        MemorySegment chunk = region.asSlice(next, CHUNK);
        next = (next + CHUNK) % region.byteSize();
        return chunk;
    }

    @Benchmark
    public long viaArray() {
        MemorySegment chunk = nextChunk();
        long sum = 0;
        for (long at = 0; at < CHUNK; at += granule) {
            MemorySegment.copy(chunk, ValueLayout.JAVA_BYTE, at, scratch, 0, granule);
            sum += hashStream.putBytes(scratch, 0, granule).get().getLeastSignificantBits();
            hashStream.reset();
        }
        return sum;
    }

    @Benchmark
    public long stream() {
        MemorySegment chunk = nextChunk();
        long sum = 0;
        for (long at = 0; at < CHUNK; at += granule) {
            sum += hashStream.putBytes(chunk, at, granule, SEGMENT).get().getLeastSignificantBits();
            hashStream.reset();
        }
        return sum;
    }

    @Benchmark
    public long arrayOneShot() {
        MemorySegment chunk = nextChunk();
        long sum = 0;
        for (long at = 0; at < CHUNK; at += granule) {
            MemorySegment.copy(chunk, ValueLayout.JAVA_BYTE, at, scratch, 0, granule);
            sum += hasher.hashBytesTo128Bits(scratch).getLeastSignificantBits();
        }
        return sum;
    }

    @Benchmark
    public long oneShot() {
        MemorySegment chunk = nextChunk();
        long sum = 0;
        for (long at = 0; at < CHUNK; at += granule) {
            sum += hasher.hashBytesTo128Bits(chunk, at, granule, SEGMENT).getLeastSignificantBits();
        }
        return sum;
    }
}
