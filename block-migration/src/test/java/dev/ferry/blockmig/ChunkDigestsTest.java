package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The digest depends on the content the copy covered, not on the order or number of times it was hashed. */
class ChunkDigestsTest {

    /** 64 granules and a short 65th: two nodes, the second partial. */
    private static final long SIZE = 64 * 4096 + 512;

    @Test
    void aGranuleHashedAgainAfterAChangeGivesTheDigestOfTheFinalContent() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment first = random(arena, 1);
            MemorySegment last = random(arena, 1);
            last.asSlice(3 * 4096, 4096).copyFrom(random(arena, 2).asSlice(0, 4096));
            last.asSlice(40 * 4096, 4096).fill((byte) 0);

            ChunkDigests history = new ChunkDigests(SIZE, 4096, arena);
            history.add(0, first);
            history.add(3 * 4096, last.asSlice(3 * 4096, 4096));
            history.addZeroes(40 * 4096, 4096);

            ChunkDigests once = new ChunkDigests(SIZE, 4096, arena);
            once.add(0, last.asSlice(0, 30 * 4096));
            once.add(30 * 4096, last.asSlice(30 * 4096, SIZE - 30 * 4096));
            assertEquals(once.digest(), history.digest());

            last.set(java.lang.foreign.ValueLayout.JAVA_BYTE, SIZE - 1, (byte) 0x55);
            ChunkDigests changed = new ChunkDigests(SIZE, 4096, arena);
            changed.add(0, last);
            assertNotEquals(once.digest(), changed.digest(), "one byte of the short last granule differs");
        }
    }

    @Test
    void granulesNeverCoveredCountAsAbsentNotAsZeroes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zeroes = arena.allocate(SIZE);
            ChunkDigests tenGranules = new ChunkDigests(SIZE, 4096, arena);
            tenGranules.add(0, zeroes.asSlice(0, 10 * 4096));
            ChunkDigests elevenGranules = new ChunkDigests(SIZE, 4096, arena);
            elevenGranules.addZeroes(0, 11 * 4096);
            assertNotEquals(tenGranules.digest(), elevenGranules.digest());
            ChunkDigests sameTen = new ChunkDigests(SIZE, 4096, arena);
            sameTen.addZeroes(0, 10 * 4096);
            assertEquals(tenGranules.digest(), sameTen.digest(), "zeroes read and zeroes known hash alike");
        }
    }

    /**
     * The digest is part of the stream's contract (both sides, possibly of different builds, must
     * agree): pinned as Ferry computes it in block section v5, over 5000 nodes with gaps between
     * the covered ones. A change of its definition must bump the section's version.
     */
    @Test
    void theDigestOverManyNodesIsTheOneTheStreamFormatDefines() {
        long granules = 5000L * ChunkDigests.NODE_GRANULES;
        try (Arena arena = Arena.ofConfined()) {
            ChunkDigests digests = new ChunkDigests(granules * 512, 512, arena);
            SplittableRandom random = new SplittableRandom(7);
            for (long node = 0; node < 5000; node += 1 + random.nextInt(3)) {
                long at = (node * ChunkDigests.NODE_GRANULES + random.nextInt(ChunkDigests.NODE_GRANULES)) * 512;
                if (random.nextBoolean()) {
                    digests.addZeroes(at, 512);
                } else {
                    MemorySegment bytes = arena.allocate(512);
                    for (long i = 0; i < 512; i += Long.BYTES) {
                        bytes.set(java.lang.foreign.ValueLayout.JAVA_LONG, i, random.nextLong());
                    }
                    digests.add(at, bytes);
                }
            }
            assertEquals("90446b6237878594889c162d8b745558", digests.digest());
        }
    }

    @Test
    void bytesOutOfOrderInsideAGranuleAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            ChunkDigests digests = new ChunkDigests(SIZE, 4096, arena);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> digests.add(512, random(arena, 3).asSlice(0, 512)));
            assertEquals("granule hashing out of order: got 512, expected the start of a granule", e.getMessage());
        }
    }

    private static MemorySegment random(Arena arena, long seed) {
        MemorySegment bytes = arena.allocate(SIZE);
        GuestWriter.fill(bytes.asSlice(0, SIZE & -8), new SplittableRandom(seed));
        return bytes;
    }
}
