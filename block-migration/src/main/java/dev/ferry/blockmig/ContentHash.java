package dev.ferry.blockmig;

import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hasher128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * XXH3-128 (hash4j) over off-heap bytes, the hash of the disk digests and backing identities. A
 * 128-bit non-cryptographic hash catches corruption; tampering is the transport's (TLS's) job.
 * It is several times faster than SHA-256 per core, which both sides spend on every byte copied.
 *
 * <p>hash4j reads heap arrays faster than segments: as fast in C2 code, several times faster in
 * C1's, where a copy's first seconds run ({@code OffHeapHashJmhBenchmark}); so bytes pass through a
 * scratch array, a copy that stays in the CPU's first-level cache. A granule hashed alone goes to
 * hash4j's one-shot hash, which is faster than its stream. Not thread-safe: one per thread.
 */
final class ContentHash {

    /** Bytes of one hash. */
    static final int BYTES = 16;
    private static final int SCRATCH_BYTES = 64 << 10;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Hasher128 XXH3_128 = Hashing.xxh3_128();

    private final HashStream128 stream = XXH3_128.hashStream();
    private final byte[] scratch = new byte[SCRATCH_BYTES];

    /**
     * Writes the hash of {@code bytes} alone to {@code into} at {@code offset}: what {@link #update}
     * with them and then {@link #finishInto} write, in one call when they fit the scratch array.
     * Call between hashes (nothing added since the last finish).
     */
    void hashInto(MemorySegment bytes, MemorySegment into, long offset) {
        if (bytes.byteSize() > SCRATCH_BYTES) {
            update(bytes).finishInto(into, offset);
            return;
        }
        int n = (int) bytes.byteSize();
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, 0, scratch, 0, n);
        write(XXH3_128.hashBytesTo128Bits(scratch, 0, n), into, offset);
    }

    /** Adds {@code bytes}. */
    ContentHash update(MemorySegment bytes) {
        long length = bytes.byteSize();
        for (long at = 0; at < length; ) {
            int n = (int) Math.min(SCRATCH_BYTES, length - at);
            MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, at, scratch, 0, n);
            stream.putBytes(scratch, 0, n);
            at += n;
        }
        return this;
    }

    /** Adds {@code value} as 8 bytes. */
    ContentHash update(long value) {
        stream.putLong(value);
        return this;
    }

    /** Writes the hash of everything added to {@code into} at {@code offset} and starts over. */
    void finishInto(MemorySegment into, long offset) {
        write(stream.get(), into, offset);
        stream.reset();
    }

    /** The hash of everything added, as {@value #BYTES} bytes; starts over. */
    byte[] finish() {
        byte[] hash = new byte[BYTES];
        finishInto(MemorySegment.ofArray(hash), 0);
        return hash;
    }

    /** A hash as the digests store it: low half first, both little-endian. */
    private static void write(HashValue128 value, MemorySegment into, long offset) {
        into.set(LONG, offset, value.getLeastSignificantBits());
        into.set(LONG, offset + Long.BYTES, value.getMostSignificantBits());
    }
}
