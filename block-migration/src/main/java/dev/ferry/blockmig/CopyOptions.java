package dev.ferry.blockmig;

import java.util.Objects;

/**
 * How the source copies its disks.
 *
 * @param mode         full or incremental copy
 * @param chunkSize    copy and dirty-tracking granularity in bytes, a power of two of at least 4096
 * @param backingCheck for an incremental copy, how much of the backing file both sides hash to
 *                     prove they hold the same one
 */
public record CopyOptions(CopyMode mode, int chunkSize, BackingIdentity.Check backingCheck) {

    public CopyOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(backingCheck, "backingCheck");
        if (chunkSize < 4096 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a power of two of at least 4096");
        }
    }

    /** {@code mode} with 1 MiB chunks and a sampled backing check. */
    public static CopyOptions of(CopyMode mode) {
        return new CopyOptions(mode, DiskSpec.DEFAULT_CHUNK_SIZE, BackingIdentity.Check.SAMPLED);
    }

    public CopyOptions withChunkSize(int bytes) {
        return new CopyOptions(mode, bytes, backingCheck);
    }

    public CopyOptions withBackingCheck(BackingIdentity.Check check) {
        return new CopyOptions(mode, chunkSize, check);
    }
}
