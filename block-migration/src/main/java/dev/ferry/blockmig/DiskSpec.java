package dev.ferry.blockmig;

import dev.ferry.vm.block.ImageFormat;
import java.util.Optional;

/**
 * What the source tells the destination about one migrated disk before any data moves; the
 * destination checks its image against it.
 *
 * @param drive     the drive id the user selects it by
 * @param size      virtual size in bytes
 * @param format    image format of the source's top layer
 * @param mode      full or incremental copy
 * @param chunkSize   bulk copy unit in bytes, a power of two
 * @param hashGranularity bytes per entry of the digest table, a power of two between 4096 and
 *                    {@code chunkSize}, see {@link #hashGranularityFor}: the destination hashes in
 *                    the same granules
 * @param backing   for an incremental copy, the identity of the backing file both sides must share
 * @param migrationId the migration this copy belongs to (a UUID, the same for every disk of it): a
 *                    destination resumes only the migration it was part of
 */
public record DiskSpec(String drive, long size, ImageFormat format, CopyMode mode, int chunkSize, int hashGranularity,
                       Optional<BackingIdentity> backing, String migrationId) {

    /** Default bulk copy unit: 1 MiB. */
    public static final int DEFAULT_CHUNK_SIZE = 1 << 20;
    /** Most entries a digest table has (32 MiB of hashes on each side), unless chunks are smaller. */
    public static final long MAX_HASH_GRANULES = 1L << 20;

    /**
     * The hash granularity for a disk of {@code size} bytes: the smallest power of two from 4 KiB
     * that keeps the digest table within {@link #MAX_HASH_GRANULES} entries, at most a chunk. A
     * granule re-sent is hashed whole on both sides, so granules of a page cost nothing extra for
     * 4 KiB writes (disks up to 4 GiB); larger disks trade re-hashing for memory.
     *
     * @param size the disk's virtual size in bytes
     * @param chunkSize the chunk size in bytes, a power of two
     * @return the granularity in bytes
     */
    public static int hashGranularityFor(long size, int chunkSize) {
        long wanted = Math.max(4096, Long.highestOneBit(Math.max(1, (size - 1) / MAX_HASH_GRANULES)) << 1);
        return (int) Math.min(wanted, chunkSize);
    }

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException for a blank drive id or a size that breaks the rules above
     */
    public DiskSpec {
        if (drive == null || drive.isBlank()) {
            throw new IllegalArgumentException("disk spec without a drive id");
        }
        if (chunkSize < 4096 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("drive " + drive + ": chunk size " + chunkSize
                    + " is not a power of two of at least 4096");
        }
        if (hashGranularity < 4096 || Integer.bitCount(hashGranularity) != 1 || hashGranularity > chunkSize) {
            throw new IllegalArgumentException("drive " + drive + ": hash granularity " + hashGranularity
                    + " is not a power of two between 4096 and the chunk size " + chunkSize);
        }
        if (hashGranularity < hashGranularityFor(size, chunkSize)) {
            throw new IllegalArgumentException("drive " + drive + ": hash granularity " + hashGranularity + " makes more than "
                    + MAX_HASH_GRANULES + " digest entries for " + size + " bytes");
        }
        if (migrationId == null || migrationId.isBlank()) {
            throw new IllegalArgumentException("drive " + drive + ": disk spec without a migration id");
        }
        if ((mode == CopyMode.INCREMENTAL) != backing.isPresent()) {
            throw new IllegalArgumentException("drive " + drive + ": a backing identity goes with incremental mode only");
        }
    }
}
