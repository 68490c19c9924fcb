package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Both ways into {@link ContentHash} give the hash of the bytes as the stream format defines it,
 * the one hash4j 0.25 gave: images, marks and peers of earlier builds hold it.
 */
class ContentHashTest {

    /** Sizes around XXH3's internal boundaries (16, 128, 240 bytes, 1 KiB blocks), the granules' and the scratch array's. */
    private static final long[] SIZES = {0, 1, 16, 17, 128, 129, 240, 241, 1024, 4096, 4096 + 7, 65536, 65537, 3 * 65536 + 5};

    /** One instance for every size, largest first as well: what an earlier hash left in its scratch array never counts. */
    @Test
    void aHashOfBytesAloneIsTheStreamsHashOfTheSameBytesInAHeapArray() {
        SplittableRandom random = new SplittableRandom(3);
        ContentHash hash = new ContentHash();
        ContentHash pieces = new ContentHash();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment into = arena.allocate(ContentHash.BYTES);
            for (int i = 0; i < 2 * SIZES.length; i++) {
                long size = SIZES[i < SIZES.length ? SIZES.length - 1 - i : i - SIZES.length];
                byte[] bytes = new byte[(int) size];
                random.nextBytes(bytes);
                MemorySegment segment = arena.allocate(size + 3).asSlice(3, size); // unaligned, as a slice of a chunk may be
                MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);

                hash.hashInto(segment, into, 0);
                String oneCall = hex(into);
                assertEquals(arrayStreamHash(bytes), oneCall, size + " bytes, hashed as hash4j 0.25 did");
                for (long at = 0; at < size; at += Math.min(size - at, 1000)) {
                    pieces.update(segment.asSlice(at, Math.min(size - at, 1000)));
                }
                assertEquals(oneCall, HexFormat.of().formatHex(pieces.finish()), size + " bytes through the stream in pieces");
            }
        }
    }

    /** The value hash4j 0.25.0 gave for these bytes (computed with that release), as a second witness. */
    @Test
    void aKnownGranuleHashesAsItDidWithHash4j025() {
        byte[] granule = new byte[4096];
        new SplittableRandom(15).nextBytes(granule);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment into = arena.allocate(ContentHash.BYTES);
            MemorySegment segment = arena.allocateFrom(ValueLayout.JAVA_BYTE, granule);
            ContentHash hash = new ContentHash();
            hash.hashInto(segment, into, 0);
            assertEquals("4d3e4405083df8d62d736a6b066bd6e3", hex(into));
            assertEquals(arrayStreamHash(granule), hex(into));

            segment.set(ValueLayout.JAVA_BYTE, 4095, (byte) ~granule[4095]);
            hash.hashInto(segment, into, 0);
            assertNotEquals("4d3e4405083df8d62d736a6b066bd6e3", hex(into), "the last byte changed");
        }
    }

    /** hash4j's stream over a heap array, the only way into it up to 0.25, laid out as the digests store a hash. */
    private static String arrayStreamHash(byte[] bytes) {
        HashValue128 value = Hashing.xxh3_128().hashStream().putBytes(bytes).get();
        return HexFormat.of().formatHex(ByteBuffer.allocate(ContentHash.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(value.getLeastSignificantBits()).putLong(value.getMostSignificantBits()).array());
    }

    private static String hex(MemorySegment hash) {
        return HexFormat.of().formatHex(hash.toArray(ValueLayout.JAVA_BYTE));
    }
}
