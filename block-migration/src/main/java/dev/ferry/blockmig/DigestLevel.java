package dev.ferry.blockmig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One inner level of a disk's digest tree ({@link ChunkDigests}): a hash per entry, an entry being
 * {@value #FANOUT} consecutive entries of the level below (its children), over which of them are
 * covered (a u64 bit mask, bit i for the i-th child) and then their 16-byte hashes in order (16 zero
 * bytes for a child never covered; the last entry may have fewer children). An entry is covered once
 * any child is.
 *
 * <p>Touching a child makes its entry stale; a stale entry is hashed again as soon as touching moves
 * on to another entry, so at most one entry per level is stale (whatever the order), and a page
 * re-sent at random costs one entry's hash per level (1 KiB each). {@link #hashNextStale} brings that
 * one up to date at the end: work in what was touched since, not in the size of the level.
 */
final class DigestLevel {

    /** Children per entry: one 64-bit word of the children's coverage bitmap. */
    static final int FANOUT = 64;

    private final DirtyBitmap childrenCovered;
    private final MemorySegment childHashes;
    private final DirtyBitmap covered;
    private final DirtyBitmap stale;
    private final MemorySegment hashes;
    private final ContentHash hash;
    /** The entry of the last child touched, or -1. */
    private long last = -1;

    /**
     * A level over {@code childrenCovered} and {@code childHashes} (16 bytes a child), its table
     * allocated in {@code arena}, hashing with {@code hash} (the owner's, shared by its levels).
     */
    DigestLevel(DirtyBitmap childrenCovered, MemorySegment childHashes, ContentHash hash, Arena arena) {
        this.childrenCovered = childrenCovered;
        this.childHashes = childHashes;
        this.hash = hash;
        this.covered = new DirtyBitmap(childrenCovered.size(), childrenCovered.chunkSize() * FANOUT);
        this.stale = new DirtyBitmap(childrenCovered.size(), childrenCovered.chunkSize() * FANOUT);
        this.hashes = arena.allocate(covered.chunks() * ContentHash.BYTES);
    }

    /** Which entries are covered: the children's coverage of the level above. */
    DirtyBitmap covered() {
        return covered;
    }

    /** The entries' hashes, 16 bytes each: the children's hashes of the level above. */
    MemorySegment hashes() {
        return hashes;
    }

    /**
     * {@code child}'s hash was recorded (and the child is covered): its entry becomes covered and
     * stale. Returns the entry hashed because touching moved on from it, or -1.
     */
    long touch(long child) {
        long entry = child / FANOUT;
        long hashed = -1;
        if (entry != last && last >= 0 && stale.clear(last)) {
            hashEntry(last);
            hashed = last;
        }
        last = entry;
        long offset = entry * covered.chunkSize();
        covered.mark(offset, 1);
        stale.mark(offset, 1);
        return hashed;
    }

    /** Hashes the first stale entry and returns it, or returns -1 when none is stale. */
    long hashNextStale() {
        long entry = stale.takeNext(0);
        if (entry >= 0) {
            hashEntry(entry);
        }
        return entry;
    }

    private void hashEntry(long entry) {
        long first = entry * FANOUT;
        int children = (int) Math.min(FANOUT, childrenCovered.chunks() - first);
        hash.update(childrenCovered.bits(first, children))
                .update(childHashes.asSlice(first * ContentHash.BYTES, (long) children * ContentHash.BYTES))
                .finishInto(hashes, entry * ContentHash.BYTES);
    }
}
