package dev.ferry.blockmig;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where a disk's source side puts what it copies: a stream adapter that frames each message for
 * a channel, or the destination's {@link DiskTarget} in the same process. The chunk logic knows
 * nothing of framing; an adapter needs only these two messages.
 */
public interface ChunkSink {

    /**
     * Puts data into room the sink provides, so a stream adapter can have the disk read straight
     * into its frame buffer.
     */
    @FunctionalInterface
    interface Fill {
        /**
         * Fills all of {@code room} with the data that belongs at {@code offset}.
         *
         * @param offset the byte offset on the disk
         * @param room the bytes to fill, all of them
         * @throws IOException if the data cannot be read
         */
        void into(long offset, MemorySegment room) throws IOException;
    }

    /**
     * {@code length} bytes of data now belong at {@code offset}; the sink calls {@code fill} for
     * consecutive pieces covering the range in order, each exactly once, before it returns.
     *
     * @param offset the byte offset on the disk
     * @param length bytes of the range
     * @param fill fills each piece
     * @throws IOException if a piece cannot be filled or sent
     */
    void data(long offset, long length, Fill fill) throws IOException;

    /**
     * {@code length} bytes at {@code offset} now read as zeroes.
     *
     * @param offset the byte offset on the disk
     * @param length bytes of the range
     * @throws IOException if the marker cannot be sent
     */
    void zeroes(long offset, long length) throws IOException;
}
