package dev.ferry.savevm.source;

/**
 * How fast the whole copy moves while it works: bytes the live sections got onto the stream per
 * second of iterating (reading disks and RAM, hashing, framing and writing included), over
 * windows of at least 100 ms. A socket takes a burst into its buffers far faster than the copy
 * can sustain, so the channel's own speed would make the driver stop the VM much too early; this
 * is the figure the downtime decision needs. Idle time (nothing pending) is not counted.
 */
final class PipelineRate {

    private static final long WINDOW_NANOS = 100_000_000L;

    private long windowBytes;
    private long windowNanos;
    private volatile long rate;

    /** One pass over the sections sent {@code bytes} in {@code nanos}. */
    void record(long bytes, long nanos) {
        if (bytes <= 0) {
            return;
        }
        windowBytes += bytes;
        windowNanos += nanos;
        if (windowNanos >= WINDOW_NANOS || rate == 0) {
            rate = (long) (windowBytes * 1e9 / Math.max(windowNanos, 1));
        }
        if (windowNanos >= WINDOW_NANOS) {
            windowBytes = 0;
            windowNanos = 0;
        }
    }

    /** Bytes per second of the last full window (or of the first pass before one); 0 before any data. */
    long rate() {
        return rate;
    }
}
