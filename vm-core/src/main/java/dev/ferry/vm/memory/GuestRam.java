package dev.ferry.vm.memory;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The guest's RAM as the VMM maps it: one or more {@link RamRegion}s. While DMA tracking is on,
 * every {@link #dirty} marks the region's DMA bitmap, which a migration merges with KVM's dirty
 * log; while it is off, {@link #dirty} costs a volatile read.
 */
public final class GuestRam implements GuestMemory, AutoCloseable {

    private final List<RamRegion> regions;
    private final AutoCloseable backing;
    private final long size;
    private volatile boolean trackingDma;

    /**
     * @param regions the RAM, in address order, not overlapping
     * @param backing what frees the host mappings on {@link #close}
     */
    public GuestRam(List<RamRegion> regions, AutoCloseable backing) {
        this.regions = List.copyOf(regions);
        this.backing = backing;
        for (int i = 0; i < this.regions.size(); i++) {
            RamRegion region = this.regions.get(i);
            if (region.index() != i || (i > 0 && region.gpa() < this.regions.get(i - 1).end())) {
                throw new IllegalArgumentException("RAM regions must be indexed 0.. in address order without overlap");
            }
        }
        this.size = this.regions.stream().mapToLong(RamRegion::size).sum();
    }

    public List<RamRegion> regions() {
        return regions;
    }

    /** The layout these regions form. */
    public RamLayout layout() {
        return new RamLayout(regions.stream().map(r -> new RamLayout.Range(r.gpa(), r.size())).toList());
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public MemorySegment slice(long gpa, long length) {
        RamRegion region = region(gpa, length);
        return region.host().asSlice(gpa - region.gpa(), length);
    }

    @Override
    public void dirty(long gpa, long length) {
        if (!trackingDma || length <= 0) {
            return;
        }
        RamRegion region = region(gpa, length);
        long first = (gpa - region.gpa()) >>> DirtyBitmap.PAGE_SHIFT;
        long last = (gpa - region.gpa() + length - 1) >>> DirtyBitmap.PAGE_SHIFT;
        region.dma().mark(first, last - first + 1);
    }

    /**
     * Switches DMA tracking. Turning it on clears the bitmaps first, so they hold exactly the
     * writes made since.
     */
    public void trackDma(boolean on) {
        if (on) {
            regions.forEach(r -> r.dma().clearAll());
        }
        trackingDma = on;
    }

    public boolean trackingDma() {
        return trackingDma;
    }

    /** The region holding the whole range. */
    public RamRegion region(long gpa, long length) {
        for (RamRegion region : regions) {
            if (region.contains(gpa, length)) {
                return region;
            }
        }
        throw new GuestMemoryException(gpa, length);
    }

    @Override
    public void close() throws Exception {
        backing.close();
    }
}
