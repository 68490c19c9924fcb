package dev.ferry.blockmig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hashes throwaway bytes through the disk digest ({@link ChunkDigests}) in a process that may
 * soon copy a disk: a running VM, or a destination waiting for its source. In a fresh JVM the
 * digest's hash (XXH3 and the per-granule calls around it) runs interpreted and in C1 code until
 * C2 has compiled it, and the copy is when C2 got to it: its compilations were most of both sides'
 * C2 time during a 1 GiB copy ({@code -XX:+LogCompilation}), on a machine where the copy's own
 * threads need both cores. Hashing {@value #BYTES_MIB} MiB beforehand, through the same calls the copy
 * makes (1 MiB pieces of native memory, granules of data and of zeroes, zero ranges), has that
 * done before it matters.
 *
 * <p>Nothing of it leaves this class: its digests are dropped. It stops as soon as a copy begins
 * on either side ({@link #copyBegins}), so it never competes with one.
 */
public final class DigestWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(DigestWarmUp.class);
    /** MiB hashed in all: past C2's thresholds for the per-granule calls (256 per MiB). */
    static final int BYTES_MIB = 96;
    /** One digest table's size: a pass hashes this much, then takes its digest. */
    private static final long PASS_BYTES = 32L << 20;
    /** One piece in this many is a zero range (a hole), hashed without bytes. */
    private static final int ZERO_RANGE_EVERY = 8;

    private static volatile boolean copyBegan;

    private DigestWarmUp() {
    }

    /**
     * Hashes up to {@value #BYTES_MIB} MiB on the calling thread, unless a copy began; meant for a
     * preparation thread that nothing waits for.
     */
    public static void run() {
        long start = System.nanoTime();
        try {
            long hashed = run(BYTES_MIB, () -> copyBegan);
            LOG.debug("disk digest warmed: {} MiB hashed in {} ms", hashed >> 20, (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warn("disk digest warm-up failed (a copy is unaffected): {}", e.toString());
        }
    }

    /** A disk's copy begins in this process: a running warm-up stops at its next piece. */
    static void copyBegins() {
        copyBegan = true;
    }

    /**
     * Hashes up to {@code mib} MiB, a MiB at a time, until {@code stop} says so; returns the bytes
     * covered. Each piece is three quarters random data and one quarter zeroes, so both of the
     * digest's paths are taken, as in a disk whose granules are partly zero.
     */
    static long run(int mib, BooleanSupplier stop) {
        int piece = DiskSpec.DEFAULT_CHUNK_SIZE;
        int granularity = DiskSpec.hashGranularityFor(PASS_BYTES, piece);
        long covered = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(piece, 4096);
            SplittableRandom random = new SplittableRandom();
            for (long at = 0; at < piece * 3L / 4; at += Long.BYTES) {
                bytes.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
            }
            ChunkDigests digests = null;
            for (int i = 0; i < mib && !stop.getAsBoolean(); i++) {
                long offset = covered % PASS_BYTES;
                if (offset == 0) {
                    if (digests != null) {
                        digests.digest();
                    }
                    digests = new ChunkDigests(PASS_BYTES, granularity, arena);
                }
                if (i % ZERO_RANGE_EVERY == ZERO_RANGE_EVERY - 1) {
                    digests.addZeroes(offset, piece);
                } else {
                    digests.add(offset, bytes);
                }
                covered += piece;
            }
        }
        return covered;
    }
}
