package dev.ferry.vm.migration;

import dev.ferry.vm.memory.PageBitmap;
import dev.ferry.vm.memory.RamRegion;
import dev.ferry.vm.memory.UntouchedPages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Tells the zero pages of one region, asked in ascending page order: a page the host never
 * allocated is zero without being read (reading it would make the kernel allocate and clear it,
 * the bulk of a first pass over a guest that used little of its RAM); any other is read.
 */
final class ZeroPages {

    private static final MemorySegment ZERO_PAGE = Arena.global().allocate(PageBitmap.PAGE_SIZE);

    private final RamRegion region;
    private final UntouchedPages untouched;
    /** Pages below this one are known untouched, or known touched, as {@link #inHole} says. */
    private long knownUntil;
    private boolean inHole;

    /**
     * @param region the region whose pages are asked
     * @param untouched what the host knows of them: the region's own, or {@link UntouchedPages#UNKNOWN}
     *     where asking costs more than reading (pages the guest just dirtied are touched)
     */
    ZeroPages(RamRegion region, UntouchedPages untouched) {
        this.region = region;
        this.untouched = untouched;
    }

    /**
     * Whether {@code page} is all zero; pages must be asked in ascending order.
     *
     * @param page a page of the region
     * @return true if zero
     */
    boolean isZero(long page) {
        if (page >= knownUntil) {
            long touched = untouched.nextTouched(page);
            inHole = touched > page;
            knownUntil = inHole ? touched : untouched.nextUntouched(page);
        }
        return inHole || MemorySegment.mismatch(region.host(), page << PageBitmap.PAGE_SHIFT,
                (page + 1) << PageBitmap.PAGE_SHIFT, ZERO_PAGE, 0, PageBitmap.PAGE_SIZE) < 0;
    }
}
