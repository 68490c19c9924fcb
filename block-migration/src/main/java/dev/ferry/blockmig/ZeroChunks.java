package dev.ferry.blockmig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** All-zero detection: one vectorized mismatch against a zero segment instead of a byte loop. */
public final class ZeroChunks {

    /** Bytes of the shared zero segment {@link #zeroes} hands out. */
    static final int ZERO_BYTES = 1 << 16;
    private static final MemorySegment ZERO = Arena.global().allocate(ZERO_BYTES, 4096);

    private ZeroChunks() {
    }

    /**
     * Whether every byte of {@code bytes} is zero.
     *
     * @param bytes any segment
     * @return true if every byte is zero, also when it is empty
     */
    public static boolean isZero(MemorySegment bytes) {
        long length = bytes.byteSize();
        for (long at = 0; at < length; at += ZERO_BYTES) {
            long n = Math.min(ZERO_BYTES, length - at);
            if (MemorySegment.mismatch(bytes, at, at + n, ZERO, 0, n) != -1) {
                return false;
            }
        }
        return true;
    }

    /** A read-only run of {@code length} zero bytes, at most {@link #ZERO_BYTES}. */
    static MemorySegment zeroes(long length) {
        return ZERO.asSlice(0, length).asReadOnly();
    }
}
