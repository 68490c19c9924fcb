package dev.ferry.vm;

/**
 * What the built-in guest does while it runs (see vm-core/src/main/guest/README.md).
 *
 * @param memRate bytes per second of RAM pages it rewrites; 0 off, -1 as fast as it can
 * @param diskRate bytes per second of block requests on the first disk; 0 off
 * @param diskBlocks blocks used from the disk's start; 0 for the whole disk
 * @param blockSize bytes per block, a multiple of 512 in 512..65536
 * @param readPercent share of requests that read back and verify a block
 * @param batch requests per notify, 1..32
 * @param progressMillis period of progress lines on the UART; 0 for none
 * @param seed seeds the guest's choices of pages and blocks
 */
public record GuestWorkload(long memRate, long diskRate, long diskBlocks, int blockSize, int readPercent, int batch,
                            int progressMillis, long seed) {

    /**
     * 4 MB/s of memory, 1 MB/s of 4 KiB blocks (30 % reads) on the first 4096 blocks, progress every second.
     *
     * @return the defaults
     */
    public static GuestWorkload defaults() {
        return new GuestWorkload(4_000_000, 1_000_000, 4096, 4096, 30, 8, 1000, 1);
    }

    /**
     * This workload with another memory rate.
     *
     * @param bytesPerSecond bytes per second; 0 off, -1 as fast as it can
     * @return the new workload
     */
    public GuestWorkload withMemRate(long bytesPerSecond) {
        return new GuestWorkload(bytesPerSecond, diskRate, diskBlocks, blockSize, readPercent, batch, progressMillis, seed);
    }

    /**
     * This workload with another disk rate.
     *
     * @param bytesPerSecond bytes per second; 0 off
     * @return the new workload
     */
    public GuestWorkload withDiskRate(long bytesPerSecond) {
        return new GuestWorkload(memRate, bytesPerSecond, diskBlocks, blockSize, readPercent, batch, progressMillis, seed);
    }
}
