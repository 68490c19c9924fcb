package dev.ferry.savevm;

import dev.ferry.savevm.stream.ChecksumChoice;
import dev.ferry.savevm.stream.FrameChecksum;
import dev.ferry.savevm.stream.FrameHasher;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures which checksum this CPU computes faster ({@link ChecksumChoice}) in a process that may
 * soon migrate, and if it is XXH3, gets the frames' XXH3 compiled before the stream needs it. Under
 * QEMU's TCG, where XXH3 is the choice, hash4j's XXH3 runs at 8 MB/s interpreted against 479-1080
 * MB/s compiled (docs/benchmarks.md, 2026-12-06), so a stream whose first frames meet it cold
 * would lose much of what it gains over CRC32C. A source calls this while its VM runs, a destination
 * while it waits; it hashes through the very calls a frame takes ({@link FrameHasher}) and stops as
 * soon as a stream begins in this process, so it never competes with one. Where CRC32C is the
 * choice it only measures (under a millisecond).
 */
public final class FrameChecksumWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(FrameChecksumWarmUp.class);
    /** MiB hashed at most: past C2's thresholds for XXH3's per-block code (1,024 blocks a MiB). */
    static final int BYTES_MIB = 32;
    private static final int FRAME_BYTES = 1 << 20;

    private static volatile boolean streamBegan;

    private FrameChecksumWarmUp() {
    }

    /** Measures, and warms XXH3 up if it is the choice, on the calling thread; for a preparation thread nothing waits for. */
    public static void run() {
        long start = System.nanoTime();
        ChecksumChoice choice = ChecksumChoice.measured();
        if (choice.checksum() != FrameChecksum.XXH3_64) {
            LOG.debug("frame checksum: {}", choice.describe());
            return;
        }
        long hashed = run(choice.checksum(), BYTES_MIB, () -> streamBegan);
        LOG.debug("frame checksum: {}; {} MiB hashed to warm it in {} ms", choice.describe(), hashed >> 20,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** A migration stream begins in this process (the driver's two ends call it): a running warm-up stops at its next frame. */
    public static void streamBegins() {
        streamBegan = true;
    }

    /** Hashes up to {@code mib} frames of a MiB of random bytes with {@code checksum} until {@code stop} says so; returns the bytes hashed. */
    static long run(FrameChecksum checksum, int mib, BooleanSupplier stop) {
        FrameHasher hasher = new FrameHasher();
        long hashed = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment frame = arena.allocate(FRAME_BYTES, 4096);
            SplittableRandom random = new SplittableRandom();
            for (long at = 0; at < FRAME_BYTES; at += Long.BYTES) {
                frame.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
            }
            for (int i = 0; i < mib && !stop.getAsBoolean(); i++) {
                hasher.compute(checksum, frame);
                hashed += FRAME_BYTES;
            }
        }
        return hashed;
    }
}
