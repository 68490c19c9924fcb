package dev.ferry.vm.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * One bit per 4 KiB guest page, laid out like KVM's dirty log (bit {@code i % 64} of word
 * {@code i / 64} is page {@code i}). Marking is atomic, so device threads may mark while the
 * migration thread {@link #drainInto drains}; everything else is for the single thread that owns
 * a harvest.
 */
public final class PageBitmap {

    /** Guest page size the bitmaps count in. */
    public static final int PAGE_SIZE = 4096;
    /** log2 of {@link #PAGE_SIZE}. */
    public static final int PAGE_SHIFT = 12;

    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final long pages;
    private final long[] words;

    /**
     * A clear bitmap of {@code pages} pages.
     *
     * @param pages pages covered
     * @throws IllegalArgumentException if the count is negative or too large for one array
     */
    public PageBitmap(long pages) {
        if (pages < 0 || (pages + 63) / 64 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad page count " + pages);
        }
        this.pages = pages;
        this.words = new long[(int) ((pages + 63) / 64)];
    }

    /**
     * Pages covered.
     *
     * @return pages
     */
    public long pages() {
        return pages;
    }

    /**
     * Bytes of a KVM dirty log for this many pages (whole 64-bit words).
     *
     * @return bytes, a multiple of 8
     */
    public long byteSize() {
        return (long) words.length * Long.BYTES;
    }

    /**
     * Atomically marks {@code count} pages from {@code first}.
     *
     * @param first the first page
     * @param count pages to mark
     */
    public void mark(long first, long count) {
        forEachWord(first, count, (word, bits) -> {
            if ((words[word] & bits) != bits) {
                WORD.getAndBitwiseOr(words, word, bits);
            }
        });
    }

    /**
     * Atomically takes every mark out of this bitmap and adds it to {@code target}.
     *
     * @param target the bitmap to add to, of the same size
     */
    public void drainInto(PageBitmap target) {
        checkSameSize(target);
        for (int i = 0; i < words.length; i++) {
            if (words[i] != 0) {
                target.words[i] |= (long) WORD.getAndSet(words, i, 0L);
            }
        }
    }

    /**
     * Adds the marks of a KVM dirty log (little-endian 64-bit words) to this bitmap.
     *
     * @param log KVM_GET_DIRTY_LOG's bitmap for these pages
     */
    public void addKvmLog(MemorySegment log) {
        if (log.byteSize() < byteSize()) {
            throw new IllegalArgumentException("KVM log of " + log.byteSize() + " bytes, need " + byteSize());
        }
        for (int i = 0; i < words.length; i++) {
            words[i] |= log.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
    }

    /**
     * Whether page {@code page} is marked.
     *
     * @param page a page index
     * @return true if marked
     */
    public boolean isSet(long page) {
        checkRange(page, 1);
        return (words[(int) (page >>> 6)] & (1L << (page & 63))) != 0;
    }

    /**
     * The first marked page at or after {@code from}, or -1.
     *
     * @param from a page index
     * @return a page index, or -1
     */
    public long nextSet(long from) {
        if (from >= pages) {
            return -1;
        }
        int word = (int) (from >>> 6);
        long bits = words[word] & (-1L << (from & 63));
        while (bits == 0) {
            if (++word == words.length) {
                return -1;
            }
            bits = words[word];
        }
        long page = ((long) word << 6) + Long.numberOfTrailingZeros(bits);
        return page < pages ? page : -1;
    }

    /**
     * The first unmarked page at or after {@code from}, or {@link #pages()}.
     *
     * @param from a page index
     * @return a page index, or {@link #pages()}
     */
    public long nextClear(long from) {
        if (from >= pages) {
            return pages;
        }
        int word = (int) (from >>> 6);
        long bits = ~words[word] & (-1L << (from & 63));
        while (bits == 0) {
            if (++word == words.length) {
                return pages;
            }
            bits = ~words[word];
        }
        return Math.min(pages, ((long) word << 6) + Long.numberOfTrailingZeros(bits));
    }

    /**
     * Clears {@code count} pages from {@code first} (not atomic against concurrent marks).
     *
     * @param first the first page
     * @param count pages to clear
     */
    public void clear(long first, long count) {
        forEachWord(first, count, (word, bits) -> words[word] &= ~bits);
    }

    /** Calls {@code op} with each word the page range touches and the bits of the range in it. */
    private void forEachWord(long first, long count, WordOp op) {
        checkRange(first, count);
        long end = first + count;
        for (long page = first; page < end; ) {
            int word = (int) (page >>> 6);
            long wordEnd = Math.min(end, ((long) word + 1) << 6);
            op.apply(word, rangeMask((int) (page & 63), (int) (wordEnd - page)));
            page = wordEnd;
        }
    }

    private interface WordOp {
        void apply(int word, long bits);
    }

    /** Marks every page. */
    public void setAll() {
        mark(0, pages);
    }

    /** Clears every page (not atomic against concurrent marks). */
    public void clearAll() {
        Arrays.fill(words, 0L);
    }

    /**
     * Number of marked pages.
     *
     * @return pages
     */
    public long count() {
        long n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }

    private static long rangeMask(int bit, int length) {
        return length == 64 ? -1L : ((1L << length) - 1) << bit;
    }

    private void checkRange(long first, long count) {
        if (first < 0 || count < 0 || first + count > pages) {
            throw new IndexOutOfBoundsException("pages " + first + "+" + count + " outside 0.." + pages);
        }
    }

    private void checkSameSize(PageBitmap other) {
        if (other.pages != pages) {
            throw new IllegalArgumentException("bitmaps of " + pages + " and " + other.pages + " pages");
        }
    }
}
