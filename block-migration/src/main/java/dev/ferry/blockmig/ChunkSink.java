package dev.ferry.blockmig;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where a disk's source side puts what it copies: the destination's {@link DiskTarget} in the
 * same process, or a stream adapter that frames each call for a channel. The chunk logic knows
 * nothing of framing; an adapter needs only these two messages.
 */
public interface ChunkSink {

    /** {@code bytes} now belong at {@code offset}; the segment is only valid during the call. */
    void data(long offset, MemorySegment bytes) throws IOException;

    /** {@code length} bytes at {@code offset} now read as zeroes. */
    void zeroes(long offset, long length) throws IOException;
}
