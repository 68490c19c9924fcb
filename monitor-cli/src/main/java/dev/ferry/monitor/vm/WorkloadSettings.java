package dev.ferry.monitor.vm;

/**
 * What the built-in guest (or, with no vCPU, the host workload) does to its disk and memory.
 *
 * @param bytesPerSecond disk write and read-back rate; 0 leaves the disk alone
 * @param memBytesPerSecond RAM pages rewritten per second by the guest (no effect without vCPU)
 * @param blockSize bytes per disk block
 * @param readPercent share of disk operations that read back and check a block
 * @param seed seeds the workload's choices
 */
public record WorkloadSettings(long bytesPerSecond, long memBytesPerSecond, int blockSize, int readPercent, long seed) {
}
