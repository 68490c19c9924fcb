package dev.ferry.vm.memory;

import java.lang.foreign.MemorySegment;

/**
 * One contiguous range of guest RAM: {@code host} is the VMM's mapping of guest physical
 * addresses {@code gpa .. gpa + host.byteSize()}. {@code dma} collects the pages the VMM itself
 * writes (KVM's dirty log cannot see them).
 *
 * @param index the region's place in address order, from 0
 * @param gpa guest physical address of the first byte
 * @param host the host mapping, a whole number of pages
 * @param untouched which pages the host never allocated, as far as it can tell
 * @param writer how a migration's destination writes pages into {@code host}
 * @param dma one bit per page the VMM wrote
 */
public record RamRegion(int index, long gpa, MemorySegment host, UntouchedPages untouched, HostWriter writer, PageBitmap dma) {

    /**
     * Checks that the host mapping and the bitmap agree.
     *
     * @throws IllegalArgumentException if the region is not page aligned or the bitmap does not cover it
     */
    public RamRegion {
        if ((gpa & (PageBitmap.PAGE_SIZE - 1)) != 0 || (host.byteSize() & (PageBitmap.PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException(String.format("RAM region 0x%x+0x%x is not page aligned", gpa, host.byteSize()));
        }
        if (dma.pages() != host.byteSize() >>> PageBitmap.PAGE_SHIFT) {
            throw new IllegalArgumentException("DMA bitmap does not cover RAM region " + index);
        }
    }

    /**
     * A region with a fresh, clear DMA bitmap.
     *
     * @param index the region's place in address order, from 0
     * @param gpa guest physical address of the first byte
     * @param host the host mapping, a whole number of pages
     * @param untouched which pages the host never allocated, as far as it can tell
     * @param writer how pages are written into {@code host}
     */
    public RamRegion(int index, long gpa, MemorySegment host, UntouchedPages untouched, HostWriter writer) {
        this(index, gpa, host, untouched, writer, new PageBitmap(host.byteSize() >>> PageBitmap.PAGE_SHIFT));
    }

    /**
     * A region whose host memory cannot tell its untouched pages ({@link UntouchedPages#UNKNOWN})
     * and is written through its mapping, with a fresh, clear DMA bitmap.
     *
     * @param index the region's place in address order, from 0
     * @param gpa guest physical address of the first byte
     * @param host the host mapping, a whole number of pages
     */
    public RamRegion(int index, long gpa, MemorySegment host) {
        this(index, gpa, host, UntouchedPages.UNKNOWN, HostWriter.into(host));
    }

    /**
     * Bytes of RAM in the region.
     *
     * @return bytes
     */
    public long size() {
        return host.byteSize();
    }

    /**
     * Pages in the region.
     *
     * @return pages of {@link PageBitmap#PAGE_SIZE} bytes
     */
    public long pages() {
        return dma.pages();
    }

    /**
     * First guest physical address after the region.
     *
     * @return {@code gpa + size()}
     */
    public long end() {
        return gpa + host.byteSize();
    }

    /**
     * Whether the range lies wholly inside this region.
     *
     * @param address guest physical address
     * @param length bytes, not negative
     * @return true if inside
     */
    public boolean contains(long address, long length) {
        return address >= gpa && length >= 0 && address - gpa <= host.byteSize() - length;
    }
}
