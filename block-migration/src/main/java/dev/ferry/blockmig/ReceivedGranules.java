package dev.ferry.blockmig;

/**
 * The destination's record, per drive, of the granules it received and wrote during a storage
 * copy, so that after a broken connection it can tell the resuming source what not to send again.
 * A granule the copy writes again later stays marked: the source re-sends it because it is dirty
 * on its side, not because it is missing.
 *
 * <p>The record lives in the waiting destination's memory: what it wrote is in the kernel's page
 * cache or on disk either way (see {@link DiskTarget#held}). A destination process that dies cannot
 * resume; its image is marked incomplete like after any failed migration. One migration thread
 * owns an instance.
 */
final class ReceivedGranules {

    private final String drive;
    private final long size;
    private final int granuleSize;
    private final long[] words;

    ReceivedGranules(String drive, long size, int granuleSize) {
        if (granuleSize < ResumeRequest.MIN_GRANULE || Integer.bitCount(granuleSize) != 1 || size <= 0) {
            throw new IllegalArgumentException("drive " + drive + ": " + size + " bytes in granules of " + granuleSize);
        }
        this.drive = drive;
        this.size = size;
        this.granuleSize = granuleSize;
        this.words = new long[DriveGranules.words(DriveGranules.granules(size, granuleSize))];
    }

    /** Marks the granules wholly inside {@code [offset, offset + length)} (a short last granule counts when it reaches the end). */
    void markWritten(long offset, long length) {
        long end = Math.min(size, offset + length);
        long first = (offset + granuleSize - 1) / granuleSize;
        long stop = end == size ? DriveGranules.granules(size, granuleSize) : end / granuleSize;
        for (long g = first; g < stop; g++) {
            words[(int) (g >>> 6)] |= 1L << g;
        }
    }

    DriveGranules snapshot() {
        return new DriveGranules(drive, size, granuleSize, words);
    }
}
