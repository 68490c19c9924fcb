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
 * @param chunkSize copy granularity in bytes, a power of two
 * @param backing   for an incremental copy, the identity of the backing file both sides must share
 */
public record DiskSpec(String drive, long size, ImageFormat format, CopyMode mode, int chunkSize,
                       Optional<BackingIdentity> backing) {

    /** Default copy granularity: 1 MiB. */
    public static final int DEFAULT_CHUNK_SIZE = 1 << 20;

    public DiskSpec {
        if (drive == null || drive.isBlank()) {
            throw new IllegalArgumentException("disk spec without a drive id");
        }
        if (chunkSize < 4096 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("drive " + drive + ": chunk size " + chunkSize
                    + " is not a power of two of at least 4096");
        }
        if ((mode == CopyMode.INCREMENTAL) != backing.isPresent()) {
            throw new IllegalArgumentException("drive " + drive + ": a backing identity goes with incremental mode only");
        }
    }
}
