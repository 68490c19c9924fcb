package dev.ferry.blockmig;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/** Passes chunks on at no more than a given rate, as a bandwidth-limited migration stream would. */
final class RateLimitedSink implements ChunkSink {

    private final ChunkSink next;
    private final double bytesPerNano;
    private final long start = System.nanoTime();
    private long sent;

    RateLimitedSink(ChunkSink next, long bytesPerSecond) {
        this.next = next;
        this.bytesPerNano = bytesPerSecond / 1e9;
    }

    @Override
    public void data(long offset, MemorySegment bytes) throws IOException {
        pace(bytes.byteSize());
        next.data(offset, bytes);
    }

    @Override
    public void zeroes(long offset, long length) throws IOException {
        pace(DiskMigration.MARKER_BYTES);
        next.zeroes(offset, length);
    }

    private void pace(long bytes) {
        sent += bytes;
        long due = start + (long) (sent / bytesPerNano);
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
    }
}
