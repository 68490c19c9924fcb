package dev.ferry.blockmig;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One bit per chunk of a disk, set by the guest's write path and taken (found and cleared in one
 * atomic step) by the migration thread. Every bit operation is a single atomic word update, so
 * the writer and the migration thread never lose a mark; the set-bit count is kept as it changes,
 * which makes {@link #count()} free.
 */
public final class DirtyBitmap {

    /** Atomic access to the words; compiles to lock-prefixed or/and on x86. */
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final long size;
    private final int chunkShift;
    private final long chunks;
    private final long[] words;
    private final AtomicLong count = new AtomicLong();

    /**
     * A clear bitmap over {@code size} bytes in chunks of {@code chunkSize} bytes, a power of two;
     * the last chunk may be short.
     *
     * @param size bytes covered, positive
     * @param chunkSize bytes per bit, a positive power of two
     * @throws IllegalArgumentException if size is not positive or chunkSize not a power of two
     */
    public DirtyBitmap(long size, long chunkSize) {
        if (size <= 0) {
            throw new IllegalArgumentException("bitmap over " + size + " bytes");
        }
        if (chunkSize <= 0 || Long.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a power of two");
        }
        this.size = size;
        this.chunkShift = Long.numberOfTrailingZeros(chunkSize);
        this.chunks = (size + chunkSize - 1) >>> chunkShift;
        long wordCount = (chunks + 63) >>> 6;
        if (wordCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many chunks: " + chunks);
        }
        this.words = new long[(int) wordCount];
    }

    /**
     * Bytes per bit.
     *
     * @return a power of two
     */
    public long chunkSize() {
        return 1L << chunkShift;
    }

    /**
     * Number of bits: chunks the size is split into.
     *
     * @return the chunk count
     */
    public long chunks() {
        return chunks;
    }

    /**
     * Bytes the bitmap covers.
     *
     * @return bytes
     */
    public long size() {
        return size;
    }

    /**
     * Number of set bits.
     *
     * @return set bits, 0 to {@link #chunks()}
     */
    public long count() {
        // A mark adds its bits to the count after setting them; a clear in between subtracts
        // first, so the raw figure can dip below zero for a moment.
        return Math.max(0, count.get());
    }

    /**
     * Whether {@code chunk}'s bit is set.
     *
     * @param chunk a chunk index below {@link #chunks()}
     * @return true if set
     */
    public boolean isSet(long chunk) {
        return (word(chunk >>> 6) & (1L << chunk)) != 0;
    }

    /**
     * The {@code count} bits from {@code fromChunk} on, as the low bits of a long (bit 0 is
     * {@code fromChunk}); the range must lie inside one aligned 64-bit word.
     *
     * @param fromChunk the first chunk
     * @param count bits wanted, 1 to 64
     * @return the bits, higher ones zero
     */
    public long bits(long fromChunk, int count) {
        if (count <= 0 || (fromChunk & 63) + count > 64) {
            throw new IllegalArgumentException(count + " bits from " + fromChunk + " cross a 64-bit word");
        }
        long word = word(fromChunk >>> 6) >>> (fromChunk & 63);
        return count == 64 ? word : word & ((1L << count) - 1);
    }

    /** Sets every bit. */
    public void setAll() {
        setChunks(0, chunks);
    }

    /**
     * Sets the bit of every chunk {@code [offset, offset + length)} touches; returns how many were clear.
     *
     * @param offset the first byte written
     * @param length bytes written
     * @return bits that were clear and are now set
     */
    public long mark(long offset, long length) {
        if (length <= 0) {
            return 0;
        }
        long first = offset >>> chunkShift;
        long last = Math.min((offset + length - 1) >>> chunkShift, chunks - 1);
        return setChunks(first, last + 1);
    }

    /**
     * Like {@link #mark(long, long)}, but leaves a range alone while the bit of its chunk in
     * {@code except} is set: the bulk pass will read that chunk later and see the new bytes
     * anyway. {@code except}'s chunks may be larger than this bitmap's (a power of two times),
     * so a bitmap of small dirty granules can defer to a bulk bitmap of whole chunks. Correct
     * without a lock because the write is in the image before the mark: if {@code except}'s bit
     * is cleared after we looked, the reader clears this bitmap's bits of the chunk before it reads.
     *
     * @param offset the first byte written
     * @param length bytes written
     * @param except the bulk pass's bitmap of chunks still to read
     * @return bits that were clear and are now set
     */
    public long mark(long offset, long length, DirtyBitmap except) {
        if (length <= 0) {
            return 0;
        }
        if (except.chunkShift < chunkShift) {
            throw new IllegalArgumentException("except bitmap has smaller chunks (" + except.chunkSize()
                    + " bytes) than this one (" + chunkSize() + ")");
        }
        long end = Math.min(offset + length, size);
        long added = 0;
        for (long at = offset; at < end; ) {
            long outer = at >>> except.chunkShift;
            long outerEnd = Math.min((outer + 1) << except.chunkShift, end);
            if (!except.isSet(outer)) {
                added += mark(at, outerEnd - at);
            }
            at = outerEnd;
        }
        return added;
    }

    private long setChunks(long from, long to) {
        long added = 0;
        for (long chunk = from; chunk < to; ) {
            int word = (int) (chunk >>> 6);
            long end = Math.min(to, ((long) word + 1) << 6);
            long mask = rangeMask(chunk & 63, end - chunk);
            long old = (long) WORD.getAndBitwiseOr(words, word, mask);
            added += Long.bitCount(mask & ~old);
            chunk = end;
        }
        if (added != 0) {
            count.addAndGet(added);
        }
        return added;
    }

    private long word(long index) {
        return (long) WORD.getAcquire(words, (int) index);
    }

    private static long rangeMask(long firstBit, long bits) {
        long ones = bits == 64 ? -1L : (1L << bits) - 1;
        return ones << firstBit;
    }

    /**
     * Clears one bit; returns whether it was set.
     *
     * @param chunk a chunk index below {@link #chunks()}
     * @return true if it was set
     */
    public boolean clear(long chunk) {
        long bit = 1L << chunk;
        long old = (long) WORD.getAndBitwiseAnd(words, (int) (chunk >>> 6), ~bit);
        if ((old & bit) != 0) {
            count.decrementAndGet();
            return true;
        }
        return false;
    }

    /**
     * Clears the bits of chunks {@code [from, to)}; returns how many were set.
     *
     * @param from the first chunk
     * @param to the chunk after the last
     * @return bits that were set
     */
    public long clear(long from, long to) {
        long cleared = 0;
        for (long chunk = from; chunk < Math.min(to, chunks); ) {
            int word = (int) (chunk >>> 6);
            long end = Math.min(Math.min(to, chunks), ((long) word + 1) << 6);
            long mask = rangeMask(chunk & 63, end - chunk);
            long old = (long) WORD.getAndBitwiseAnd(words, word, ~mask);
            cleared += Long.bitCount(mask & old);
            chunk = end;
        }
        if (cleared != 0) {
            count.addAndGet(-cleared);
        }
        return cleared;
    }

    /**
     * The first set bit at or after {@code fromChunk}, left set, or -1 when there is none. Skips
     * clear words 64 chunks at a time.
     *
     * @param fromChunk where to start looking
     * @return a chunk index, or -1
     */
    public long nextSet(long fromChunk) {
        if (fromChunk >= chunks) {
            return -1;
        }
        int word = (int) (fromChunk >>> 6);
        long bits = word(word) & (-1L << (fromChunk & 63));
        while (bits == 0) {
            if (++word >= words.length) {
                return -1;
            }
            bits = word(word);
        }
        return ((long) word << 6) + Long.numberOfTrailingZeros(bits);
    }

    /**
     * Finds the first set bit at or after {@code fromChunk}, clears it and returns its chunk, or
     * returns -1 when no bit at or after {@code fromChunk} is set. Skips clear words 64 chunks at a
     * time.
     *
     * @param fromChunk where to start looking
     * @return the chunk whose bit was cleared, or -1
     */
    public long takeNext(long fromChunk) {
        for (long chunk = nextSet(fromChunk); chunk >= 0; chunk = nextSet(chunk)) {
            if (clear(chunk)) {
                return chunk;
            }
            // Another taker cleared it between our read and our clear: look again.
        }
        return -1;
    }
}
