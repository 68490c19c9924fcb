package dev.ferry.blockmig;

import java.util.Objects;

/**
 * How the source copies its disks.
 *
 * @param mode         full or incremental copy
 * @param chunkSize    bulk copy unit in bytes, a power of two of at least 4096: large reads and writes
 * @param granularity  unit in which guest writes are tracked and re-sent, and digests kept, a
 *                     power of two between 4096 and {@code chunkSize}: smaller re-sends less for
 *                     random small writes but keeps 32 bytes of hash per granule on each side
 * @param backingCheck for an incremental copy, how much of the backing file both sides hash to
 *                     prove they hold the same one
 */
public record CopyOptions(CopyMode mode, int chunkSize, int granularity, BackingIdentity.Check backingCheck) {

    public CopyOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(backingCheck, "backingCheck");
        if (chunkSize < 4096 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a power of two of at least 4096");
        }
        if (granularity < 4096 || Integer.bitCount(granularity) != 1 || granularity > chunkSize) {
            throw new IllegalArgumentException("granularity " + granularity
                    + " is not a power of two between 4096 and the chunk size " + chunkSize);
        }
    }

    /** {@code mode} with 1 MiB chunks, 64 KiB granules and a sampled backing check. */
    public static CopyOptions of(CopyMode mode) {
        return new CopyOptions(mode, DiskSpec.DEFAULT_CHUNK_SIZE, DiskSpec.DEFAULT_GRANULARITY, BackingIdentity.Check.SAMPLED);
    }

    /** These options with {@code bytes} chunks; the granularity shrinks with them if it was larger. */
    public CopyOptions withChunkSize(int bytes) {
        return new CopyOptions(mode, bytes, Math.min(granularity, bytes), backingCheck);
    }

    public CopyOptions withGranularity(int bytes) {
        return new CopyOptions(mode, chunkSize, bytes, backingCheck);
    }

    public CopyOptions withBackingCheck(BackingIdentity.Check check) {
        return new CopyOptions(mode, chunkSize, granularity, check);
    }
}
