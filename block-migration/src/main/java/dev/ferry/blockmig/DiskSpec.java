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
 * @param granularity dirty-tracking, re-send and digest unit in bytes, a power of two of at
 *                    most {@code chunkSize}: the destination hashes in the same granules
 * @param backing   for an incremental copy, the identity of the backing file both sides must share
 */
public record DiskSpec(String drive, long size, ImageFormat format, CopyMode mode, int chunkSize, int granularity,
                       Optional<BackingIdentity> backing) {

    /** Default bulk copy unit: 1 MiB. */
    public static final int DEFAULT_CHUNK_SIZE = 1 << 20;
    /** Default dirty-tracking unit: 64 KiB, a sixteenth of a chunk. */
    public static final int DEFAULT_GRANULARITY = 64 << 10;

    public DiskSpec {
        if (drive == null || drive.isBlank()) {
            throw new IllegalArgumentException("disk spec without a drive id");
        }
        if (chunkSize < 4096 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("drive " + drive + ": chunk size " + chunkSize
                    + " is not a power of two of at least 4096");
        }
        if (granularity < 4096 || Integer.bitCount(granularity) != 1 || granularity > chunkSize) {
            throw new IllegalArgumentException("drive " + drive + ": granularity " + granularity
                    + " is not a power of two between 4096 and the chunk size " + chunkSize);
        }
        if ((mode == CopyMode.INCREMENTAL) != backing.isPresent()) {
            throw new IllegalArgumentException("drive " + drive + ": a backing identity goes with incremental mode only");
        }
    }
}
