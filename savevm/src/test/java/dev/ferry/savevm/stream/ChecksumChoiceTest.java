package dev.ferry.savevm.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The rule, given rates: no timing here (bench/run and the nested check measure). */
class ChecksumChoiceTest {

    @Test
    void aCpuRunningCrc32cInHardwareKeepsIt() {
        assertEquals(FrameChecksum.CRC32C, ChecksumChoice.forRate(48_000_000_000L).checksum(), "this machine, 2026-12-06");
        assertEquals(FrameChecksum.CRC32C, ChecksumChoice.forRate(ChecksumChoice.SLOW_CRC_BYTES_PER_SECOND).checksum());
    }

    @Test
    void aCpuEmulatingCrc32cTakesXxh3() {
        assertEquals(FrameChecksum.XXH3_64, ChecksumChoice.forRate(70_000_000L).checksum(), "QEMU TCG, 58-82 MB/s");
        assertEquals(FrameChecksum.XXH3_64, ChecksumChoice.forRate(ChecksumChoice.SLOW_CRC_BYTES_PER_SECOND - 1).checksum());
    }

    @Test
    void theChoiceSaysTheRateItWasMadeOn() {
        assertEquals("XXH3-64 (CRC32C measured at 70 MB/s here, below 1000 MB/s)", ChecksumChoice.forRate(70_000_000L).describe());
        assertEquals("CRC32C (CRC32C measured at 48000 MB/s here, at least 1000 MB/s)",
                ChecksumChoice.forRate(48_000_000_000L).describe());
    }
}
