package dev.ferry.blockmig;

import dev.ferry.savevm.Joins;
import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What an incremental migration checks before any data moves: the destination's backing file
 * must read the same as the source's, or its overlay would show the guest other bytes. Every
 * byte is hashed, in regions (on every core; holes are known to be zeroes and not read), so a
 * refusal names the byte range that differs; the hashes are kept per file version, in memory and
 * beside the backing file ({@link BackingDigestCache}), so a backing file that stays unchanged is
 * read once, not on every migration.
 *
 * @param size       virtual size of the backing device in bytes
 * @param regionSize bytes per entry of {@code regions}, a multiple of the sector size
 * @param xxh3Regions the XXH3-128 ({@link ContentHash}, {@value ContentHash#BYTES} bytes) of each region of
 *                   the content the guest reads through the backing, one after the other; the name
 *                   says the hash, so a peer that hashed with another (SHA-256 before block
 *                   section version 4) fails on the record's shape, in one line, instead of
 *                   reporting every region different. One byte string, not a hex string a region
 *                   (before block section version 7): the configuration and the disk's setup
 *                   record both carry it, and a thousand strings took milliseconds to decode in
 *                   a destination whose codec was still cold
 */
public record BackingIdentity(long size, long regionSize, byte[] xxh3Regions) {

    /** Regions per identity at most: a few KiB on the wire, and a refusal that names a narrow range. */
    static final int MAX_REGIONS = 1024;
    private static final long MIN_REGION = 1L << 20;
    private static final int READ_BYTES = 4 << 20;
    /** Threads that hash a backing file: one per core, a few at most. */
    static final int HASH_THREADS = Math.min(4, Runtime.getRuntime().availableProcessors());

    /**
     * Copies the region hashes and checks that they cover {@code size}.
     *
     * @throws IllegalArgumentException if the sizes are negative or zero, or the regions do not cover the
     *         device
     */
    public BackingIdentity {
        xxh3Regions = xxh3Regions.clone();
        if (size < 0 || regionSize <= 0 || xxh3Regions.length % ContentHash.BYTES != 0
                || xxh3Regions.length / ContentHash.BYTES != regionCount(size, regionSize)) {
            throw new IllegalArgumentException("backing identity of " + size + " bytes: " + xxh3Regions.length
                    + " bytes of region hashes for regions of " + regionSize + " bytes do not cover it");
        }
    }

    /**
     * The region hashes, a copy.
     *
     * @return {@value ContentHash#BYTES} bytes a region, in order
     */
    @Override
    public byte[] xxh3Regions() {
        return xxh3Regions.clone();
    }

    /** How many regions the identity hashes. */
    int regions() {
        return xxh3Regions.length / ContentHash.BYTES;
    }

    /** Whether region {@code i} hashes the same here and in {@code other}. */
    private boolean sameRegion(int i, BackingIdentity other) {
        int from = i * ContentHash.BYTES;
        return Arrays.equals(xxh3Regions, from, from + ContentHash.BYTES, other.xxh3Regions, from, from + ContentHash.BYTES);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BackingIdentity that && size == that.size && regionSize == that.regionSize
                && Arrays.equals(xxh3Regions, that.xxh3Regions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(size, regionSize, Arrays.hashCode(xxh3Regions));
    }

    @Override
    public String toString() {
        return "BackingIdentity[size=" + size + ", regionSize=" + regionSize + ", regions=" + regions() + "]";
    }

    /**
     * The identity of {@code backing}'s content as the guest reads it, from the cache while its files are
     * unchanged.
     *
     * @param backing the backing device of an overlay
     * @return its identity
     * @throws IOException if the backing cannot be read
     */
    public static BackingIdentity of(BlockDevice backing) throws IOException {
        return BackingDigestCache.SHARED.identity(backing);
    }

    /**
     * The identity {@link #of} would give now, if it needs no hashing: this process has it for
     * {@code backing}'s current files, or the identity kept beside the backing file does. A running
     * VM reads it ahead of a migration, which then finds it in memory.
     *
     * @param backing the backing device of an overlay
     * @return its identity, or empty if only a hash would tell
     * @throws IOException if its files cannot be examined
     */
    public static Optional<BackingIdentity> known(BlockDevice backing) throws IOException {
        return BackingDigestCache.SHARED.known(backing);
    }

    /**
     * When {@code backing} will have stayed unchanged long enough that its identity, hashed from then
     * on by {@link #of}, is kept beside it for later processes (a file changed just before its hash
     * could change again within one timestamp tick, and is not trusted on disk).
     *
     * @param backing the backing device of an overlay
     * @return the instant after which a hash of its current files is kept
     * @throws IOException if its files cannot be examined
     */
    public static Instant keptFrom(BlockDevice backing) throws IOException {
        return BackingDigestCache.SHARED.keptFrom(backing);
    }

    /**
     * Hashes every byte of {@code backing}, on up to {@link #HASH_THREADS} threads, each over a
     * contiguous stripe of regions (sequential reads). A region the backing maps as zeroes
     * throughout (a hole) is not read: its hash is that of so many zero bytes.
     */
    static BackingIdentity compute(BlockDevice backing) throws IOException {
        long size = backing.size();
        long regionSize = regionSizeFor(size);
        int count = (int) regionCount(size, regionSize); // at most MAX_REGIONS
        byte[][] hashes = new byte[count][];
        int workers = Math.max(1, Math.min(HASH_THREADS, count));
        List<Thread> helpers = new ArrayList<>();
        Exception[] failures = new Exception[workers];
        for (int w = 1; w < workers; w++) {
            int worker = w;
            helpers.add(Thread.ofPlatform().name("backing-hash-" + w).start(() -> {
                try {
                    hashStripe(backing, regionSize, hashes, worker * count / workers, (worker + 1) * count / workers);
                } catch (IOException | RuntimeException e) {
                    failures[worker] = e;
                }
            }));
        }
        try {
            hashStripe(backing, regionSize, hashes, 0, count / workers);
        } finally {
            helpers.forEach(Joins::uninterruptibly);
        }
        for (Exception failure : failures) {
            if (failure instanceof IOException e) {
                throw e;
            } else if (failure != null) {
                throw (RuntimeException) failure;
            }
        }
        byte[] regions = new byte[count * ContentHash.BYTES];
        for (int i = 0; i < count; i++) {
            System.arraycopy(hashes[i], 0, regions, i * ContentHash.BYTES, ContentHash.BYTES);
        }
        return new BackingIdentity(size, regionSize, regions);
    }

    /** Hashes regions {@code from} (inclusive) to {@code to} (exclusive) into {@code hashes}. */
    private static void hashStripe(BlockDevice backing, long regionSize, byte[][] hashes, int from, int to)
            throws IOException {
        long size = backing.size();
        ContentHash hash = new ContentHash();
        byte[] holeHash = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.min(READ_BYTES, Math.max(regionSize, 4096)), 4096);
            for (int i = from; i < to; i++) {
                long region = i * regionSize;
                long end = Math.min(size, region + regionSize);
                boolean hole = readsZero(backing, region, end);
                if (hole && holeHash != null && end - region == regionSize) {
                    hashes[i] = holeHash;
                    continue;
                }
                for (long at = region; at < end; ) {
                    MemorySegment slice = hole ? ZeroChunks.zeroes(Math.min(ZeroChunks.ZERO_BYTES, end - at))
                            : buffer.asSlice(0, Math.min(buffer.byteSize(), end - at));
                    if (!hole) {
                        backing.read(at, slice);
                    }
                    hash.update(slice);
                    at += slice.byteSize();
                }
                hashes[i] = hash.finish();
                if (hole && end - region == regionSize) {
                    holeHash = hashes[i];
                }
            }
        }
    }

    private static boolean readsZero(BlockDevice backing, long from, long to) throws IOException {
        Extent extent = backing.allocation(from, to - from);
        return extent.allocation() == Allocation.ZERO && extent.end() >= to;
    }

    /** The smallest power of two from 1 MiB that keeps the regions within {@link #MAX_REGIONS}. */
    static long regionSizeFor(long size) {
        long regionSize = MIN_REGION;
        while (regionCount(size, regionSize) > MAX_REGIONS) {
            regionSize <<= 1;
        }
        return regionSize;
    }

    /** Regions of {@code regionSize} that cover {@code size} bytes; exact for any size (no overflow). */
    private static long regionCount(long size, long regionSize) {
        return Math.ceilDiv(size, regionSize);
    }

    /**
     * Fails unless {@code local}, the destination's backing named {@code where}, is the same as
     * this source identity; a difference is named by its first byte range and how many regions differ.
     *
     * @param local the destination's identity of its backing
     * @param drive the drive id, for the message
     * @param where the destination's backing file, for the message
     * @throws BlockMigrationException if size, region size or any region differs
     */
    public void requireSame(BackingIdentity local, String drive, String where) throws BlockMigrationException {
        if (local.size != size) {
            throw new BlockMigrationException("drive " + drive + ": backing file " + where + " has size " + local.size
                    + " bytes, the source's backing file has " + size);
        }
        if (local.regionSize != regionSize) {
            throw new BlockMigrationException("drive " + drive + ": backing file " + where + " was hashed in regions of "
                    + local.regionSize + " bytes, the source's in " + regionSize);
        }
        int first = -1;
        int differing = 0;
        for (int i = 0; i < regions(); i++) {
            if (!sameRegion(i, local)) {
                differing++;
                first = first < 0 ? i : first;
            }
        }
        if (differing > 0) {
            long from = first * regionSize;
            long to = Math.min(size, from + regionSize);
            throw new BlockMigrationException(String.format(Locale.ROOT, "drive %s: backing file %s differs from the"
                    + " source's in bytes %d..%d (%d of %d regions of %d bytes differ)",
                    drive, where, from, to - 1, differing, regions(), regionSize));
        }
    }
}
