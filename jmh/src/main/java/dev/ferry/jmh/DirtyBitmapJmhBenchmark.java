package dev.ferry.jmh;

import dev.ferry.blockmig.DirtyBitmap;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The block migration's dirty bitmap over a 1 TiB disk in 1 MiB chunks (1 Mi bits).
 * {@code scanAndClear}: the timed region takes every set bit once, as a dirty pass does, with
 * the given fraction of chunks dirty (the bits are set again outside the timed region).
 * {@code markRandomWrite}: the timed region is what the guest's write path pays per 4 KiB write.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DirtyBitmapJmhBenchmark {

    private static final long DISK = 1L << 40;
    private static final long CHUNK = 1L << 20;

    private final DirtyBitmap writeBitmap = new DirtyBitmap(DISK, CHUNK);
    private final SplittableRandom random = new SplittableRandom(1);

    /** A bitmap dirtied anew before each invocation, so each scan finds the same bits. */
    @State(Scope.Thread)
    public static class Dirtied {

        @Param({"0.001", "0.1", "1.0"})
        double dirtyFraction;

        DirtyBitmap bitmap;
        long[] dirtyChunks;

        @Setup(Level.Trial)
        public void setUp() {
            bitmap = new DirtyBitmap(DISK, CHUNK);
            long chunks = bitmap.chunks();
            dirtyChunks = new SplittableRandom(2).longs((long) (chunks * dirtyFraction), 0, chunks).toArray();
        }

        @Setup(Level.Invocation)
        public void dirty() {
            for (long chunk : dirtyChunks) {
                bitmap.mark(chunk * CHUNK, 4096);
            }
        }
    }

    @Benchmark
    public long scanAndClear(Dirtied dirtied) {
        DirtyBitmap bitmap = dirtied.bitmap;
        long taken = 0;
        for (long chunk = bitmap.takeNext(0); chunk >= 0; chunk = bitmap.takeNext(chunk + 1)) {
            taken++;
        }
        return taken;
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long markRandomWrite() {
        return writeBitmap.mark(random.nextLong(DISK >>> 12) << 12, 4096);
    }
}
