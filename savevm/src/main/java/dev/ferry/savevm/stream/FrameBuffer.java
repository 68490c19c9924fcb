package dev.ferry.savevm.stream;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The off-heap buffer frames are built or read in: page-aligned, in a shared arena, and only as
 * large as the largest frame so far, up to the stream's limit. The JDK zeroes a new allocation one
 * long at a time, interpreted in a fresh JVM: a 16 MiB buffer for the destination's few-byte
 * replies cost it ~65 ms of CPU before it could answer the configuration (JFR, load 8). A buffer
 * that was outgrown stays allocated until {@link #close}, so a frame handed out from it stays
 * readable.
 */
final class FrameBuffer implements AutoCloseable {

    private static final long ALIGNMENT = 4096;

    private final Arena arena = Arena.ofShared();
    private final long limit;
    private MemorySegment segment;

    /**
     * @param initial bytes to allocate now
     * @param limit   bytes it may grow to (a whole frame of the stream's largest payload)
     */
    FrameBuffer(long initial, long limit) {
        this.limit = limit;
        this.segment = arena.allocate(Math.min(initial, limit), ALIGNMENT);
    }

    /** The buffer now. */
    MemorySegment segment() {
        return segment;
    }

    /**
     * The buffer, grown if needed to hold {@code bytes} (at most the limit) with its first {@code kept}
     * bytes carried over; slices taken before a growth point at the old buffer.
     */
    MemorySegment reserve(long bytes, long kept) {
        if (bytes > segment.byteSize()) {
            MemorySegment larger = arena.allocate(Math.min(limit, Math.max(bytes, 2 * segment.byteSize())), ALIGNMENT);
            MemorySegment.copy(segment, 0, larger, 0, kept);
            segment = larger;
        }
        return segment;
    }

    @Override
    public void close() {
        arena.close();
    }
}
