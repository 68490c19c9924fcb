package dev.ferry.savevm.stream;

import com.dynatrace.hash4j.hashing.HashStream64;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * Computes and places a frame's trailer, whichever {@link FrameChecksum} it is. CRC32C goes
 * through a direct ByteBuffer view, so the JDK's intrinsic applies. XXH3 reads the off-heap frame
 * through a heap scratch array: hash4j reads arrays several times faster than segments in C1
 * code, where a copy's first seconds run (block-migration's {@code ContentHash} measured the
 * same), and a 64 KiB copy stays in the CPU's caches. One per reader or writer: not thread-safe.
 */
public final class FrameHasher {

    private static final int SCRATCH_BYTES = 64 << 10;

    private final HashStream64 xxh3 = Hashing.xxh3_64().hashStream();
    private byte[] scratch;

    /** The checksum of {@code covered} (header and payload), as the trailer holds it. */
    public long compute(FrameChecksum checksum, MemorySegment covered) {
        return switch (checksum) {
            case CRC32C -> {
                CRC32C crc = new CRC32C();
                crc.update(covered.asByteBuffer());
                yield crc.getValue();
            }
            case XXH3_64 -> xxh3(covered);
        };
    }

    private long xxh3(MemorySegment covered) {
        if (scratch == null) {
            scratch = new byte[SCRATCH_BYTES];
        }
        xxh3.reset();
        long length = covered.byteSize();
        for (long at = 0; at < length; ) {
            int n = (int) Math.min(SCRATCH_BYTES, length - at);
            MemorySegment.copy(covered, ValueLayout.JAVA_BYTE, at, scratch, 0, n);
            xxh3.putBytes(scratch, 0, n);
            at += n;
        }
        return xxh3.getAsLong();
    }

    /** Writes {@code value} as {@code checksum}'s trailer at {@code offset}. */
    static void write(FrameChecksum checksum, MemorySegment frame, long offset, long value) {
        switch (checksum) {
            case CRC32C -> frame.set(StreamFormat.INT, offset, (int) value);
            case XXH3_64 -> frame.set(StreamFormat.LONG, offset, value);
        }
    }

    /** The trailer {@code checksum} put at {@code offset}. */
    static long read(FrameChecksum checksum, MemorySegment frame, long offset) {
        return switch (checksum) {
            case CRC32C -> Integer.toUnsignedLong(frame.get(StreamFormat.INT, offset));
            case XXH3_64 -> frame.get(StreamFormat.LONG, offset);
        };
    }
}
