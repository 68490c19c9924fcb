package dev.ferry.savevm.stream;

/**
 * Measures the stream over short windows (100 ms): throughput is bytes per wall-clock second;
 * bandwidth is bytes per second of time the writer was busy (in the channel or waiting on the
 * limit), i.e. what the link could take, which an idle writer does not dilute. Written by the
 * writer thread, read by anyone.
 */
public final class ThroughputMeter {

    private static final long WINDOW_NANOS = 100_000_000L;

    private long windowStart = System.nanoTime();
    private long windowBytes;
    private long windowBusy;
    private volatile long totalBytes;
    private volatile long totalBusy;
    private volatile long throughput;
    private volatile long bandwidth;

    /** Records {@code bytes} written in {@code busyNanos}. */
    public void record(long bytes, long busyNanos) {
        totalBytes += bytes;
        totalBusy += busyNanos;
        windowBytes += bytes;
        windowBusy += busyNanos;
        long now = System.nanoTime();
        long elapsed = now - windowStart;
        if (elapsed >= WINDOW_NANOS) {
            throughput = (long) (windowBytes * 1e9 / elapsed);
            if (windowBusy > 0) {
                bandwidth = (long) (windowBytes * 1e9 / windowBusy);
            }
            windowStart = now;
            windowBytes = 0;
            windowBusy = 0;
        }
    }

    public long totalBytes() {
        return totalBytes;
    }

    /** Bytes per second over the last complete window. */
    public long throughput() {
        return throughput;
    }

    /**
     * What the link takes in bytes per second: the last complete window, or everything so far
     * before the first window ends; 0 while nothing was written.
     */
    public long bandwidth() {
        long measured = bandwidth;
        if (measured > 0) {
            return measured;
        }
        long busy = totalBusy;
        return busy == 0 ? 0 : (long) (totalBytes * 1e9 / busy);
    }
}
