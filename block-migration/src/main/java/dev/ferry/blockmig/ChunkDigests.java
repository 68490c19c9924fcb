package dev.ferry.blockmig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/**
 * The verification digest of one disk, a hash tree: an XXH3-128 ({@link ContentHash}) per granule
 * (the hash granularity of the {@link DiskSpec}), one per node of {@value DigestLevel#FANOUT} granules,
 * one per group of {@value DigestLevel#FANOUT} nodes (each over which of its children are covered and
 * their hashes, see {@link DigestLevel}), and the disk's digest over the groups' coverage and
 * hashes (block section version 6; version 5 hashed the node table whole at the end). Each side hashes a
 * granule when it handles it (whole, even if only part of it was re-sent), so only granules handled
 * again are hashed again; a node's and a group's hash are brought up to date as soon as hashing moves
 * on to another one (1 KiB of hashes each: cheap for each page re-sent at random). So the final
 * digest, inside the guest's downtime, re-hashes only the last node and group and then the group
 * table in one piece (at most 256 groups, 4 KiB, see {@link DiskSpec#MAX_HASH_GRANULES}): its work
 * does not grow with the disk. Only granules the copy covered count: in an incremental copy the rest is the backing
 * file, which is checked separately by {@link BackingIdentity}.
 *
 * <p>Bytes arrive through {@link #add} and {@link #addZeroes} in disk order within a granule,
 * starting at its first byte; a granule's hash is recorded when its last byte arrives. The
 * tables live off-heap in the owner's arena, 16 bytes per granule (see
 * {@link DiskSpec#hashGranularityFor}).
 */
final class ChunkDigests {

    private static final int HASH_BYTES = ContentHash.BYTES;

    private final long size;
    private final int granularity;
    private final int granuleShift;
    private final MemorySegment granuleHashes;
    private final DirtyBitmap coveredGranules;
    private final ContentHash granuleHash = new ContentHash();
    private final ContentHash treeHash = new ContentHash();
    private final DigestLevel nodes;
    private final DigestLevel groups;
    private final byte[] zeroGranuleHash;
    /** The granule being hashed, or -1 between granules. */
    private long hashing = -1;
    /** The offset the granule being hashed continues at. */
    private long next;

    ChunkDigests(long size, int granularity, Arena arena) {
        this.size = size;
        this.granularity = granularity;
        this.granuleShift = Integer.numberOfTrailingZeros(granularity);
        this.coveredGranules = new DirtyBitmap(size, granularity);
        this.granuleHashes = arena.allocate(coveredGranules.chunks() * HASH_BYTES);
        this.nodes = new DigestLevel(coveredGranules, granuleHashes, treeHash, arena);
        this.groups = new DigestLevel(nodes.covered(), nodes.hashes(), treeHash, arena);
        for (long left = granularity; left > 0; left -= ZeroChunks.ZERO_BYTES) {
            granuleHash.update(ZeroChunks.zeroes(Math.min(left, ZeroChunks.ZERO_BYTES)));
        }
        this.zeroGranuleHash = granuleHash.finish();
    }

    /**
     * Adds {@code bytes}, the content at {@code offset}, to the granules they cover. A whole
     * granule of zeroes is recognised and not hashed: its hash is always the same.
     */
    void add(long offset, MemorySegment bytes) {
        long length = bytes.byteSize();
        for (long at = 0; at < length; ) {
            long n = Math.min(length - at, granuleEnd(offset + at) - (offset + at));
            MemorySegment piece = bytes.asSlice(at, n);
            if (hashing < 0 && n == granularity && ZeroChunks.isZero(piece)) {
                recordZero((offset + at) >>> granuleShift);
            } else {
                feed(offset + at, piece);
            }
            at += n;
        }
    }

    /** Adds {@code length} zero bytes at {@code offset}, without reading them anywhere. */
    void addZeroes(long offset, long length) {
        for (long at = offset, end = offset + length; at < end; ) {
            long n = Math.min(end - at, granuleEnd(at) - at);
            if (hashing < 0 && n == granularity) {
                recordZero(at >>> granuleShift);
            } else {
                feed(at, ZeroChunks.zeroes(Math.min(n, ZeroChunks.ZERO_BYTES)));
                n = Math.min(n, ZeroChunks.ZERO_BYTES);
            }
            at += n;
        }
    }

    private long granuleEnd(long offset) {
        return Math.min(((offset >>> granuleShift) + 1) << granuleShift, size);
    }

    /** Hashes bytes that lie inside one granule, continuing the one being hashed. */
    private void feed(long offset, MemorySegment piece) {
        long granule = offset >>> granuleShift;
        if (hashing < 0 ? offset != granule << granuleShift : offset != next) {
            throw new IllegalStateException("granule hashing out of order: got " + offset + ", expected "
                    + (hashing < 0 ? "the start of a granule" : next));
        }
        long end = offset + piece.byteSize();
        boolean last = end == granuleEnd(offset);
        if (hashing < 0 && last) {
            granuleHash.hashInto(piece, granuleHashes, granule * HASH_BYTES); // a whole granule: the copy's usual piece
        } else {
            hashing = granule;
            granuleHash.update(piece);
            next = end;
            if (!last) {
                return;
            }
            granuleHash.finishInto(granuleHashes, granule * HASH_BYTES);
            hashing = -1;
        }
        record(granule);
    }

    private void recordZero(long granule) {
        MemorySegment.copy(zeroGranuleHash, 0, granuleHashes, ValueLayout.JAVA_BYTE, granule * HASH_BYTES, HASH_BYTES);
        record(granule);
    }

    /** Marks {@code granule}, whose hash is in the table, covered; a node it moves on from is hashed. */
    private void record(long granule) {
        coveredGranules.mark(granule << granuleShift, 1);
        long node = nodes.touch(granule);
        if (node >= 0) {
            groups.touch(node);
        }
    }

    /** The first covered granule from {@code granule} on, or -1. */
    long nextCovered(long granule) {
        return coveredGranules.nextSet(granule);
    }

    /**
     * Hex digest of the disk size, granularity, which groups are covered (u64 bit masks, 64 groups
     * each) and the whole group table (16 zero bytes for a group never covered), in a few calls
     * whatever the disk's size. Only the nodes and groups touched since they were last hashed are
     * hashed now.
     */
    String digest() {
        for (long node = nodes.hashNextStale(); node >= 0; node = nodes.hashNextStale()) {
            groups.touch(node);
        }
        while (groups.hashNextStale() >= 0) {
            // every group of a node hashed above
        }
        DirtyBitmap covered = groups.covered();
        treeHash.update(size).update(granularity);
        for (long group = 0; group < covered.chunks(); group += DigestLevel.FANOUT) {
            treeHash.update(covered.bits(group, (int) Math.min(DigestLevel.FANOUT, covered.chunks() - group)));
        }
        return HexFormat.of().formatHex(treeHash.update(groups.hashes()).finish());
    }
}
