package dev.ferry.vm.guest;

import dev.ferry.vm.memory.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The guest's workload parameters, written little-endian into its config block before it starts.
 *
 * @param tscKhz the TSC frequency the guest paces by (KVM_GET_TSC_KHZ); required if any rate is set
 * @param arenaBase first byte of RAM the workload owns (page aligned, above the image)
 * @param arenaSize bytes it owns: disk tables and buffers first, page generations, then pages
 * @param memRate bytes per second of pages rewritten; 0 off, {@link #UNLIMITED} as fast as it can
 * @param diskMmio base of the disk's virtio-mmio window; 0 for no disk
 * @param diskRate bytes per second of block requests; 0 off
 * @param diskBlocks blocks used from the start of the disk; 0 for all of it
 * @param blockSize bytes per block, a multiple of 512 in 512..65536
 * @param readPercent share of requests that read back and verify a written block
 * @param batch requests per notify (each notify is an exit), 1..32
 * @param progressMillis period of progress lines; 0 for none
 * @param seed seeds the guest's choices of pages and blocks, and the block contents
 */
public record GuestConfig(long tscKhz, long arenaBase, long arenaSize, long memRate, long diskMmio,
                          long diskRate, long diskBlocks, int blockSize, int readPercent, int batch,
                          int progressMillis, long seed) {

    /** A {@code memRate} that rewrites pages as fast as the guest can. */
    public static final long UNLIMITED = -1;
    private static final long MAGIC = 0x4746435952524546L; // "FERRYCFG" little-endian

    /**
     * Checks the ranges the guest also checks.
     *
     * @throws IllegalArgumentException naming the first bad field
     */
    public GuestConfig {
        if (blockSize < 512 || blockSize > 65536 || blockSize % 512 != 0) {
            throw new IllegalArgumentException("guest config: blockSize " + blockSize + " is not a multiple of 512 in 512..65536");
        }
        if (readPercent < 0 || readPercent > 100) {
            throw new IllegalArgumentException("guest config: readPercent " + readPercent + " is not 0..100");
        }
        if (batch < 1 || batch > 32) {
            throw new IllegalArgumentException("guest config: batch " + batch + " is not 1..32");
        }
        if (arenaBase % 4096 != 0 || arenaBase < 0 || arenaSize < 0) {
            throw new IllegalArgumentException("guest config: arena must start page aligned");
        }
        if (tscKhz <= 0 && (memRate != 0 || diskRate != 0 || progressMillis != 0)) {
            throw new IllegalArgumentException("guest config: tscKhz is needed to pace rates and progress");
        }
    }

    /**
     * A config using all RAM above the image (up to {@code ramSize}, at most the identity map),
     * dirtying memory at {@code memRate}, printing progress every second, no disk.
     *
     * @param image the guest image
     * @param ramSize bytes of guest RAM
     * @param tscKhz the guest's TSC rate
     * @param memRate bytes per second of pages rewritten
     * @return the config
     * @throws IllegalArgumentException if the RAM leaves no room above the image
     */
    public static GuestConfig forRam(GuestImage image, long ramSize, long tscKhz, long memRate) {
        long base = (image.imageEnd() + 0x1fffff) & ~0x1fffffL;
        long end = Math.min(ramSize, image.mappedLimit());
        if (end <= base) {
            throw new IllegalArgumentException("guest config: " + ramSize + " bytes of RAM leave no room above the guest image");
        }
        return new GuestConfig(tscKhz, base, end - base, memRate, 0, 0, 0, 4096, 30, 8, 1000, 1);
    }

    /**
     * This config with a disk workload.
     *
     * @param mmio base of the disk's virtio-mmio window
     * @param rate bytes per second of block requests; 0 off
     * @param blocks blocks used from the disk's start; 0 for all
     * @return the new config
     */
    public GuestConfig withDisk(long mmio, long rate, long blocks) {
        return new GuestConfig(tscKhz, arenaBase, arenaSize, memRate, mmio, rate, blocks, blockSize,
                readPercent, batch, progressMillis, seed);
    }

    /**
     * Writes the config block (before the guest starts; it reads it once). Field order is the block's.
     *
     * @param memory the guest's RAM
     * @param image the guest image, which says where the block is
     */
    public void writeTo(GuestMemory memory, GuestImage image) {
        MemorySegment c = memory.slice(image.configAddress(), 0x68);
        c.fill((byte) 0);
        c.set(ValueLayout.JAVA_LONG_UNALIGNED, 0x00, MAGIC);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x08, GuestImage.VERSION);
        long[] u64 = {tscKhz, arenaBase, arenaSize, memRate, diskMmio, diskRate, diskBlocks};
        for (int i = 0; i < u64.length; i++) {
            c.set(ValueLayout.JAVA_LONG_UNALIGNED, 0x10 + 8L * i, u64[i]);
        }
        int[] u32 = {blockSize, readPercent, batch, progressMillis};
        for (int i = 0; i < u32.length; i++) {
            c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x48 + 4L * i, u32[i]);
        }
        c.set(ValueLayout.JAVA_LONG_UNALIGNED, 0x58, seed);
        memory.dirty(image.configAddress(), 0x68);
    }

    /**
     * Posts a command the running guest picks up at its next loop turn; {@code seq} must differ
     * from the last one posted (the guest echoes it in {@link GuestStatus#commandDone()} when done).
     *
     * @param memory the guest's RAM
     * @param image the guest image, which says where the block is
     * @param command what to do
     * @param seq the command's sequence number
     */
    public static void post(GuestMemory memory, GuestImage image, GuestCommand command, int seq) {
        MemorySegment c = memory.slice(image.configAddress() + 0x60, 8);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0, command.code());
        java.lang.invoke.VarHandle.releaseFence(); // the command before the seq that announces it
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 4, seq);
        memory.dirty(image.configAddress() + 0x60, 8);
    }
}
