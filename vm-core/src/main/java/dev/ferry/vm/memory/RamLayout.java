package dev.ferry.vm.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * Where guest RAM sits in the guest physical address space: RAM from 0 up to the 32-bit device
 * hole, the rest from 4 GiB up (as a PC lays it out). The layout is part of a migration's
 * configuration check, so both sides must agree on it.
 *
 * @param ranges the RAM ranges in address order
 */
public record RamLayout(List<Range> ranges) {

    /** Guest physical addresses from here to 4 GiB are devices (the virtio-mmio window), not RAM. */
    public static final long HOLE_START = 0xC000_0000L;
    /** Where RAM above the hole continues: 4 GiB. */
    public static final long HIGH_START = 0x1_0000_0000L;

    /**
     * One range of guest RAM.
     *
     * @param gpa guest physical address of the first byte
     * @param size bytes
     */
    public record Range(long gpa, long size) {
    }

    /** Copies the range list. */
    public RamLayout {
        ranges = List.copyOf(ranges);
    }

    /**
     * The standard layout of {@code bytes} of RAM (a positive multiple of 2 MiB).
     *
     * @param bytes RAM size in bytes
     * @return up to 3 GiB from 0, the rest from 4 GiB
     * @throws IllegalArgumentException if {@code bytes} is not a positive multiple of 2 MiB
     */
    public static RamLayout of(long bytes) {
        if (bytes <= 0 || bytes % (2L << 20) != 0) {
            throw new IllegalArgumentException("memory size " + bytes + " is not a positive multiple of 2 MiB");
        }
        List<Range> ranges = new ArrayList<>();
        long low = Math.min(bytes, HOLE_START);
        ranges.add(new Range(0, low));
        if (bytes > low) {
            ranges.add(new Range(HIGH_START, bytes - low));
        }
        return new RamLayout(ranges);
    }

    /**
     * Bytes of RAM in all ranges.
     *
     * @return bytes
     */
    public long totalBytes() {
        return ranges.stream().mapToLong(Range::size).sum();
    }
}
