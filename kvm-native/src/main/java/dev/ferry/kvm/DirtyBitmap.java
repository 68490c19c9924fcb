package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.util.stream.LongStream;

/**
 * One bit per 4 KiB page of a memory slot, as KVM_GET_DIRTY_LOG fills it (bit n of the bitmap is
 * the slot's page n). Owned by its {@link MemorySlot} and overwritten by each fetch.
 */
public final class DirtyBitmap {

    private final MemorySegment bits;
    private final long pages;

    DirtyBitmap(MemorySegment bits, long pages) {
        this.bits = bits;
        this.pages = pages;
    }

    /** Bytes KVM wants for {@code pages} pages: a whole number of 64-bit words. */
    static long bytesFor(long pages) {
        return (pages + 63) / 64 * Long.BYTES;
    }

    /**
     * Pages the bitmap covers.
     *
     * @return pages, from the slot's start
     */
    public long pages() {
        return pages;
    }

    /**
     * True when page {@code page} (relative to the slot) is marked dirty.
     *
     * @param page a page index relative to the slot
     * @return true if dirty
     */
    public boolean isDirty(long page) {
        return (bits.getAtIndex(JAVA_LONG, page >>> 6) & (1L << (page & 63))) != 0;
    }

    /**
     * The first dirty page at or after {@code from}, or -1 when none: walks a word (64 pages) at a time.
     *
     * @param from a page index relative to the slot
     * @return a page index, or -1
     */
    public long nextDirty(long from) {
        if (from >= pages) {
            return -1;
        }
        long word = from >>> 6;
        long value = bits.getAtIndex(JAVA_LONG, word) & (-1L << (from & 63));
        long words = bits.byteSize() / Long.BYTES;
        while (value == 0) {
            if (++word >= words) {
                return -1;
            }
            value = bits.getAtIndex(JAVA_LONG, word);
        }
        long page = word * 64 + Long.numberOfTrailingZeros(value);
        return page < pages ? page : -1;
    }

    /**
     * The dirty pages in ascending order.
     *
     * @return page indices relative to the slot
     */
    public LongStream dirtyPages() {
        return LongStream.iterate(nextDirty(0), page -> page >= 0, page -> nextDirty(page + 1));
    }

    /**
     * Number of dirty pages.
     *
     * @return dirty pages
     */
    public long count() {
        long count = 0;
        for (long i = 0; i < bits.byteSize() / Long.BYTES; i++) {
            count += Long.bitCount(bits.getAtIndex(JAVA_LONG, i));
        }
        return count;
    }

    /**
     * The raw bitmap, read-only.
     *
     * @return one bit per page, bit 0 of byte 0 first
     */
    public MemorySegment segment() {
        return bits.asReadOnly();
    }

    MemorySegment writable() {
        return bits;
    }
}
