package dev.ferry.savevm.stream;

/**
 * Counts the stream's bytes and its throughput over short windows (100 ms): bytes per
 * wall-clock second, what {@code info migrate} shows; and remembers when the last
 * {@value #TIMES} frames went out and the bytes they implied (what the destination writes
 * beyond their payloads, a zero marker's range), so a report that the destination applied the
 * stream up to some byte tells how long that byte took and how much work the frames after it
 * still stand for. Written by the writer thread, read by anyone.
 */
public final class ThroughputMeter {

    private static final long WINDOW_NANOS = 100_000_000L;
    private static final int TIMES = 1024;

    /** Stream offset after each of the last frames and when it was written, a ring. */
    private final long[] endOffsets = new long[TIMES];
    private final long[] endNanos = new long[TIMES];
    /** Implied bytes of every frame up to and including each of the last frames. */
    private final long[] endImplied = new long[TIMES];
    private int next;
    private long impliedTotal;

    private long windowStart = System.nanoTime();
    private long windowBytes;
    private volatile long totalBytes;
    private volatile long throughput;

    /** Records a frame of {@code bytes} written to the channel that implied {@code implied} more at the destination. */
    public void record(long bytes, long implied) {
        totalBytes += bytes;
        windowBytes += bytes;
        long now = System.nanoTime();
        synchronized (endOffsets) {
            impliedTotal += implied;
            endOffsets[next] = totalBytes;
            endNanos[next] = now;
            endImplied[next] = impliedTotal;
            next = (next + 1) % TIMES;
        }
        long elapsed = now - windowStart;
        if (elapsed >= WINDOW_NANOS) {
            throughput = (long) (windowBytes * 1e9 / elapsed);
            windowStart = now;
            windowBytes = 0;
        }
    }

    /**
     * When the frame that ends at stream offset {@code offset} was written; -1 if it is not among
     * the last frames remembered (or no frame ends there).
     */
    public long writtenAt(long offset) {
        synchronized (endOffsets) {
            for (int i = 1; i <= TIMES; i++) {
                int at = Math.floorMod(next - i, TIMES);
                if (endOffsets[at] == offset && endNanos[at] != 0) {
                    return endNanos[at];
                }
                if (endOffsets[at] < offset) {
                    return -1;
                }
            }
            return -1;
        }
    }

    /**
     * The bytes implied by the frames written after stream offset {@code offset} (a frame
     * boundary the destination reported): work in flight that the frames' own size does not show.
     * An offset older than every frame remembered counts every implied byte so far, so a stale
     * report never hides work.
     */
    public long impliedAfter(long offset) {
        synchronized (endOffsets) {
            for (int i = 1; i <= TIMES; i++) {
                int at = Math.floorMod(next - i, TIMES);
                if (endNanos[at] == 0) {
                    break;
                }
                if (endOffsets[at] <= offset) {
                    return impliedTotal - endImplied[at];
                }
            }
            return impliedTotal;
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
