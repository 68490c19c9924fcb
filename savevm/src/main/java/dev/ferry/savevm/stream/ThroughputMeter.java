package dev.ferry.savevm.stream;

/**
 * Counts the stream's bytes and its throughput over short windows (100 ms): bytes per
 * wall-clock second, what {@code info migrate} shows. Written by the writer thread, read by
 * anyone.
 */
public final class ThroughputMeter {

    private static final long WINDOW_NANOS = 100_000_000L;

    private long windowStart = System.nanoTime();
    private long windowBytes;
    private volatile long totalBytes;
    private volatile long throughput;

    /** Records {@code bytes} written to the channel. */
    public void record(long bytes) {
        totalBytes += bytes;
        windowBytes += bytes;
        long now = System.nanoTime();
        long elapsed = now - windowStart;
        if (elapsed >= WINDOW_NANOS) {
            throughput = (long) (windowBytes * 1e9 / elapsed);
            windowStart = now;
            windowBytes = 0;
        }
    }

    public long totalBytes() {
        return totalBytes;
    }

    /** Bytes per second over the last complete window. */
    public long throughput() {
        return throughput;
    }
}
