package dev.ferry.monitor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Follows the frame envelope of a Ferry migration stream (docs/stream-format.md) as its bytes go
 * by in pieces of any size, to tell where a frame of a given kind starts. It reads only the
 * 16-byte envelope header; payloads and checksums are skipped by length, the checksum's by the
 * flags byte (bit 0: XXH3-64 in 8 bytes, which a source whose CPU runs CRC32C slowly picks; else
 * CRC32C in 4).
 */
final class FrameScanner {

    static final int HEADER_BYTES = 16;
    static final int CRC_BYTES = 4;
    private static final int XXH3_BYTES = 8;

    private final ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    /** Bytes of the current frame still to skip after its header; -1 while reading a header. */
    private long skip = -1;
    /** Headers read so far that name an XXH3-64 trailer; read by other threads. */
    private volatile long xxh3Frames;

    /**
     * Consumes {@code length} bytes of {@code data} from {@code offset}; returns the position in
     * {@code data} where a frame of {@code kind} starts, or -1. Bytes after that position are not
     * consumed: feed them again.
     */
    int find(byte[] data, int offset, int length, int kind) {
        int at = offset;
        int end = offset + length;
        while (at < end) {
            if (skip > 0) {
                int step = (int) Math.min(skip, end - at);
                skip -= step;
                at += step;
                continue;
            }
            if (header.position() == 0 && (data[at] & 0xff) == kind) {
                return at;
            }
            int step = Math.min(header.remaining(), end - at);
            header.put(data, at, step);
            at += step;
            if (!header.hasRemaining()) {
                boolean xxh3 = (header.get(1) & 1) != 0;
                skip = Integer.toUnsignedLong(header.getInt(12)) + (xxh3 ? XXH3_BYTES : CRC_BYTES);
                if (xxh3) {
                    xxh3Frames++; // one scanning thread writes
                }
                header.clear();
            }
        }
        return -1;
    }

    /** How many frames seen so far were sealed with XXH3-64. */
    long xxh3Frames() {
        return xxh3Frames;
    }
}
