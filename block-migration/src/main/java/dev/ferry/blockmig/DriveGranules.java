package dev.ferry.blockmig;

import java.util.Arrays;

/**
 * One drive's granules the destination holds after a broken storage copy: received, written to
 * the image and flushed before they were recorded. {@code received} has one bit per granule
 * ({@code granuleSize} bytes; the last may be short), bit {@code g % 64} of word {@code g / 64};
 * bits past the last granule are zero.
 *
 * @param drive       the drive's id, as in the migration's configuration
 * @param size        the drive's size in bytes
 * @param granuleSize bytes per bit, a power of two
 * @param received    the bitmap's words
 */
record DriveGranules(String drive, long size, int granuleSize, long[] received) {

    DriveGranules {
        received = received.clone();
    }

    /** Granules of a drive of {@code size} bytes at {@code granuleSize}. */
    static long granules(long size, int granuleSize) {
        return (size + granuleSize - 1) / granuleSize;
    }

    /** Words of a bitmap of {@code granules} bits. */
    static int words(long granules) {
        return Math.toIntExact((granules + 63) >>> 6);
    }

    long granules() {
        return granules(size, granuleSize);
    }

    boolean has(long granule) {
        return (received[(int) (granule >>> 6)] & (1L << granule)) != 0;
    }

    long receivedCount() {
        long count = 0;
        for (long word : received) {
            count += Long.bitCount(word);
        }
        return count;
    }

    /** Bytes the received granules hold (the last granule counted at its real length). */
    long receivedBytes() {
        long bytes = receivedCount() * granuleSize;
        long last = granules() - 1;
        return has(last) ? bytes - (last + 1) * granuleSize + size : bytes;
    }

    @Override
    public long[] received() {
        return received.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DriveGranules that && drive.equals(that.drive) && size == that.size
                && granuleSize == that.granuleSize && Arrays.equals(received, that.received);
    }

    @Override
    public int hashCode() {
        return drive.hashCode() * 31 + Arrays.hashCode(received);
    }

    @Override
    public String toString() {
        return "drive " + drive + ": " + receivedCount() + " of " + granules() + " granules of " + granuleSize + " bytes";
    }
}
