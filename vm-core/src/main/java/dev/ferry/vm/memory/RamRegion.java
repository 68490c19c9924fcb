package dev.ferry.vm.memory;

import java.lang.foreign.MemorySegment;

/**
 * One contiguous range of guest RAM: {@code host} is the VMM's mapping of guest physical
 * addresses {@code gpa .. gpa + host.byteSize()}. {@code dma} collects the pages the VMM itself
 * writes (KVM's dirty log cannot see them).
 */
public record RamRegion(int index, long gpa, MemorySegment host, PageBitmap dma) {

    public RamRegion {
        if ((gpa & (PageBitmap.PAGE_SIZE - 1)) != 0 || (host.byteSize() & (PageBitmap.PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException(String.format("RAM region 0x%x+0x%x is not page aligned", gpa, host.byteSize()));
        }
        if (dma.pages() != host.byteSize() >>> PageBitmap.PAGE_SHIFT) {
            throw new IllegalArgumentException("DMA bitmap does not cover RAM region " + index);
        }
    }

    public RamRegion(int index, long gpa, MemorySegment host) {
        this(index, gpa, host, new PageBitmap(host.byteSize() >>> PageBitmap.PAGE_SHIFT));
    }

    public long size() {
        return host.byteSize();
    }

    public long pages() {
        return dma.pages();
    }

    /** First guest physical address after the region. */
    public long end() {
        return gpa + host.byteSize();
    }

    public boolean contains(long address, long length) {
        return address >= gpa && length >= 0 && address - gpa <= host.byteSize() - length;
    }
}
