package dev.ferry.savevm.stream;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * The checksum a source seals its frames with when the destination offers XXH3: the one its CPU
 * computes faster, by measurement. The JDK's CRC32C is an intrinsic (crc32 and pclmulqdq on x86,
 * the CRC32C instructions on arm64) that runs as a stub even in the interpreter, so one timing at
 * first use shows its steady rate: tens of GB/s on a real CPU (48 GB/s on this project's machine,
 * 2026-12-06), where it beats XXH3; 58-82 MB/s under QEMU's TCG, which emulates those instructions
 * in slow helpers while it runs XXH3's plain integer code at 479-1080 MB/s once compiled. XXH3's
 * own rate cannot be timed at start (interpreted, it is far from its compiled speed), so the rule
 * is a threshold on CRC32C's: {@value #SLOW_CRC_BYTES_PER_SECOND} bytes/s, five times below the
 * crc32 instruction's single-stream rate on the oldest CPUs that have it (8 bytes per 3 cycles at
 * 2 GHz), twelve times above TCG's. A CPU without the instructions falls back to the JDK's Java
 * code, which times at tens of MB/s interpreted and stays below XXH3 compiled: XXH3 is right
 * there too.
 *
 * @param checksum          what the source seals its frames with when the destination offers XXH3
 * @param crcBytesPerSecond CRC32C's measured rate
 */
public record ChecksumChoice(FrameChecksum checksum, long crcBytesPerSecond) {

    /** Below this CRC32C rate the CPU does not run CRC32C in hardware (emulated or absent). */
    static final long SLOW_CRC_BYTES_PER_SECOND = 1_000_000_000L;
    /** Bytes per timing; the best of {@link #TIMINGS} counts, so one preemption does not decide. */
    private static final int TIMED_BYTES = 256 << 10;
    private static final int TIMINGS = 4;

    /** The choice for CRC32C running at {@code crcBytesPerSecond}. */
    public static ChecksumChoice forRate(long crcBytesPerSecond) {
        return new ChecksumChoice(crcBytesPerSecond < SLOW_CRC_BYTES_PER_SECOND ? FrameChecksum.XXH3_64 : FrameChecksum.CRC32C,
                crcBytesPerSecond);
    }

    /** This process's choice, measured at the first call (a MiB of CRC32C: under a millisecond natively, ~15 ms under TCG). */
    public static ChecksumChoice measured() {
        return Measured.CHOICE;
    }

    /** What was chosen and why, for the log and {@code info migrate}. */
    public String describe() {
        return String.format(Locale.ROOT, "%s (CRC32C measured at %d MB/s here, %s %d MB/s)", checksum, crcBytesPerSecond / 1_000_000,
                checksum == FrameChecksum.CRC32C ? "at least" : "below", SLOW_CRC_BYTES_PER_SECOND / 1_000_000);
    }

    private static final class Measured {
        static final ChecksumChoice CHOICE = forRate(crcRate());

        private static long crcRate() {
            ByteBuffer bytes = ByteBuffer.allocateDirect(TIMED_BYTES);
            long best = Long.MAX_VALUE;
            for (int i = 0; i < TIMINGS; i++) {
                long start = System.nanoTime();
                CRC32C crc = new CRC32C();
                crc.update(bytes.clear());
                best = Math.min(best, Math.max(1, System.nanoTime() - start));
            }
            return TIMED_BYTES * 1_000_000_000L / best;
        }
    }
}
