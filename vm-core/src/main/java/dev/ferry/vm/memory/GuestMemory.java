package dev.ferry.vm.memory;

import java.lang.foreign.MemorySegment;

/**
 * Guest physical memory as the VMM's devices see it. Writes the VMM makes (device DMA) are not in
 * KVM's dirty log, so whoever writes through {@link #slice} must call {@link #dirty} afterwards:
 * a migration that clears the mark before copying a page then never misses the write.
 */
public interface GuestMemory {

    /**
     * Bytes of guest RAM, across all regions.
     *
     * @return bytes
     */
    long size();

    /**
     * A view of {@code length} bytes of guest memory at guest physical address {@code gpa}.
     *
     * @param gpa guest physical address
     * @param length bytes
     * @return a view into the host mapping
     * @throws GuestMemoryException if the range is not wholly inside one RAM region
     */
    MemorySegment slice(long gpa, long length);

    /**
     * Records that the VMM wrote {@code length} bytes at {@code gpa}; call after the write.
     *
     * @param gpa guest physical address
     * @param length bytes written
     */
    void dirty(long gpa, long length);

    /**
     * Copies {@code src} into guest memory at {@code gpa} and marks it dirty.
     *
     * @param gpa guest physical address
     * @param src the bytes
     */
    default void write(long gpa, MemorySegment src) {
        MemorySegment.copy(src, 0, slice(gpa, src.byteSize()), 0, src.byteSize());
        dirty(gpa, src.byteSize());
    }

    /**
     * Copies guest memory at {@code gpa} into {@code dst}.
     *
     * @param gpa guest physical address
     * @param dst where the bytes go; its size is the length read
     */
    default void read(long gpa, MemorySegment dst) {
        MemorySegment.copy(slice(gpa, dst.byteSize()), 0, dst, 0, dst.byteSize());
    }
}
