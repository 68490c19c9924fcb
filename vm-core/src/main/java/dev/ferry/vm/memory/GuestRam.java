package dev.ferry.vm.memory;

import dev.ferry.kvm.HostMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest's RAM as the VMM maps it: one or more {@link RamRegion}s. While DMA tracking is on,
 * every {@link #dirty} marks the region's DMA bitmap, which a migration merges with KVM's dirty
 * log; while it is off, {@link #dirty} costs a volatile read.
 */
public final class GuestRam implements GuestMemory, AutoCloseable {

    private final List<RamRegion> regions;
    private final Runnable release;
    private final long size;
    private volatile boolean trackingDma;

    /**
     * Guest RAM made of {@code regions}, DMA tracking off.
     *
     * @param regions the RAM, in address order, not overlapping
     * @param release frees the host mappings on {@link #close}
     */
    public GuestRam(List<RamRegion> regions, Runnable release) {
        this.regions = List.copyOf(regions);
        this.release = release;
        for (int i = 0; i < this.regions.size(); i++) {
            RamRegion region = this.regions.get(i);
            if (region.index() != i || (i > 0 && region.gpa() < this.regions.get(i - 1).end())) {
                throw new IllegalArgumentException("RAM regions must be indexed 0.. in address order without overlap");
            }
        }
        this.size = this.regions.stream().mapToLong(RamRegion::size).sum();
    }

    /**
     * Maps zeroed shared memory (a memfd) for every range of {@code layout}; {@code hugePages}
     * advises transparent huge pages (first touches under KVM's shadow MMU are much faster). A
     * memfd rather than anonymous memory, since it tells which pages were never touched.
     *
     * @param layout the RAM ranges
     * @param hugePages whether to advise transparent huge pages
     * @return the RAM; close it to unmap
     */
    public static GuestRam allocate(RamLayout layout, boolean hugePages) {
        List<HostMemory> mappings = new ArrayList<>();
        List<RamRegion> regions = new ArrayList<>();
        try {
            for (RamLayout.Range range : layout.ranges()) {
                HostMemory memory = HostMemory.memfd("ferry-ram", range.size(), hugePages);
                mappings.add(memory);
                regions.add(new RamRegion(regions.size(), range.gpa(), memory.segment(), untouched(memory), memory::write));
            }
        } catch (RuntimeException e) {
            mappings.forEach(HostMemory::close);
            throw e;
        }
        return new GuestRam(regions, () -> mappings.forEach(HostMemory::close));
    }

    private static UntouchedPages untouched(HostMemory memory) {
        return new UntouchedPages() {
            @Override
            public long nextTouched(long page) {
                return memory.nextData(page << PageBitmap.PAGE_SHIFT) >>> PageBitmap.PAGE_SHIFT;
            }

            @Override
            public long nextUntouched(long page) {
                return memory.nextHole(page << PageBitmap.PAGE_SHIFT) >>> PageBitmap.PAGE_SHIFT;
            }
        };
    }

    /**
     * The regions, in address order.
     *
     * @return an immutable list
     */
    public List<RamRegion> regions() {
        return regions;
    }

    /**
     * The layout these regions form.
     *
     * @return the layout
     */
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
        long first = (gpa - region.gpa()) >>> PageBitmap.PAGE_SHIFT;
        long last = (gpa - region.gpa() + length - 1) >>> PageBitmap.PAGE_SHIFT;
        region.dma().mark(first, last - first + 1);
    }

    /**
     * Moves the pages the VMM wrote since the last drain into {@code into}, one bitmap per region.
     *
     * @param into one bitmap per region, in region order
     */
    public void drainDma(List<PageBitmap> into) {
        for (RamRegion region : regions) {
            region.dma().drainInto(into.get(region.index()));
        }
    }

    /**
     * The dirty tracking of this RAM where no vCPU writes to it (no KVM): the VMM's own writes only.
     *
     * @return a tracker over {@link #trackDma} and {@link #drainDma}
     */
    public DirtyTracker vmmWritesTracker() {
        return new DirtyTracker() {
            @Override
            public void start() {
                trackDma(true);
            }

            @Override
            public void harvest(List<PageBitmap> into) {
                drainDma(into);
            }

            @Override
            public void stop() {
                trackDma(false);
            }
        };
    }

    /**
     * Switches DMA tracking. Turning it on clears the bitmaps first, so they hold exactly the
     * writes made since.
     *
     * @param on whether to track
     */
    public void trackDma(boolean on) {
        if (on) {
            regions.forEach(r -> r.dma().clearAll());
        }
        trackingDma = on;
    }

    /**
     * Whether DMA tracking is on.
     *
     * @return true while on
     */
    public boolean trackingDma() {
        return trackingDma;
    }

    /**
     * The region holding the whole range.
     *
     * @param gpa guest physical address
     * @param length bytes
     * @return the region
     * @throws GuestMemoryException if no region holds the whole range
     */
    public RamRegion region(long gpa, long length) {
        for (RamRegion region : regions) {
            if (region.contains(gpa, length)) {
                return region;
            }
        }
        throw new GuestMemoryException(gpa, length);
    }

    @Override
    public void close() {
        release.run();
    }
}
