package dev.ferry.blockmig;

import java.util.Objects;

/**
 * How the source copies its disks.
 *
 * @param mode         full or incremental copy
 * @param chunkSize    bulk copy unit in bytes, a power of two of at least 4096: large reads and writes
 * @param granularity  unit in which guest writes are tracked and re-sent after the bulk pass, a
 *                     power of two between 4096 and {@code chunkSize}: a random 4 KiB write costs
 *                     this much on the wire (one bit per unit of memory; the digest granules
 *                     are sized by the disk, see {@link DiskSpec#hashGranularityFor})
 */
public record CopyOptions(CopyMode mode, int chunkSize, int granularity) {

    /** Default dirty-tracking unit: a page, what a guest's smallest usual write dirties anyway. */
    public static final int DEFAULT_GRANULARITY = 4096;

    /**
     * Checks the sizes.
     *
     * @throws IllegalArgumentException if a size is not a power of two of at least 4096, or the granularity
     *         exceeds the chunk size
     */
    public CopyOptions {
        Objects.requireNonNull(mode, "mode");
        if (chunkSize < 4096 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a power of two of at least 4096");
        }
        if (granularity < 4096 || Integer.bitCount(granularity) != 1 || granularity > chunkSize) {
            throw new IllegalArgumentException("granularity " + granularity
                    + " is not a power of two between 4096 and the chunk size " + chunkSize);
        }
    }

    /**
     * {@code mode} with 1 MiB chunks, dirty tracking in 4 KiB.
     *
     * @param mode full or incremental
     * @return the options
     */
    public static CopyOptions of(CopyMode mode) {
        return new CopyOptions(mode, DiskSpec.DEFAULT_CHUNK_SIZE, DEFAULT_GRANULARITY);
    }

    /**
     * These options with {@code bytes} chunks; the granularity shrinks with them if it was larger.
     *
     * @param bytes chunk size, a power of two of at least 4096
     * @return the new options
     */
    public CopyOptions withChunkSize(int bytes) {
        return new CopyOptions(mode, bytes, Math.min(granularity, bytes));
    }

    /**
     * These options with writes tracked in granules of {@code bytes}.
     *
     * @param bytes a power of two from 4096 up to the chunk size
     * @return the new options
     */
    public CopyOptions withGranularity(int bytes) {
        return new CopyOptions(mode, chunkSize, bytes);
    }
}
