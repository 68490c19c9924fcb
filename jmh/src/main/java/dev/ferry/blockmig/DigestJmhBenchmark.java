package dev.ferry.blockmig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hash throughput of one core over a 1 MiB off-heap chunk of random bytes, in 4 KiB granules (a
 * 1–4 GiB disk's hash granularity). {@code chunkDigests} is what both sides of a block migration
 * run per chunk: {@link ChunkDigests#add}, XXH3-128 per granule plus the node hash. {@code sha256}
 * is the JDK's SHA-256 (SHA-NI intrinsic where the CPU has it) over the same granules, the digest
 * block section versions up to 3 used. Chunks per second; × 1 MiB = bytes per second per core.
 * The package is block-migration's, to reach its package-private digest table.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DigestJmhBenchmark {

    private static final int CHUNK = 1 << 20;
    private static final int GRANULE = 4096;

    private Arena arena;
    private MemorySegment chunk;
    private ChunkDigests digests;
    private MessageDigest sha;
    private final byte[] hash = new byte[32];

    @Setup(Level.Trial)
    public void setUp() throws NoSuchAlgorithmException {
        arena = Arena.ofShared();
        chunk = arena.allocate(CHUNK, 4096);
        byte[] random = new byte[CHUNK];
        new Random(1).nextBytes(random);
        MemorySegment.copy(MemorySegment.ofArray(random), 0, chunk, 0, CHUNK);
        digests = new ChunkDigests(64L * CHUNK, GRANULE, arena);
        sha = MessageDigest.getInstance("SHA-256");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void chunkDigests() {
        digests.add(0, chunk);
    }

    @Benchmark
    public byte[] sha256() throws Exception {
        for (long at = 0; at < CHUNK; at += GRANULE) {
            sha.update(chunk.asSlice(at, GRANULE).asByteBuffer());
            sha.digest(hash, 0, hash.length);
        }
        return hash;
    }
}
