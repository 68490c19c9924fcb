package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
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

            last.set(ValueLayout.JAVA_BYTE, SIZE - 1, (byte) 0x55);
            ChunkDigests changed = new ChunkDigests(SIZE, 4096, arena);
            changed.add(0, last);
            assertNotEquals(once.digest(), changed.digest(), "one byte of the short last granule differs");
        }
    }

    /** A granule arriving whole (hashed in one call) and one arriving in pieces (through the stream) hash alike. */
    @Test
    void aGranuleWholeAndAGranuleInPiecesHashAlike() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment content = random(arena, 5);
            ChunkDigests whole = new ChunkDigests(SIZE, 4096, arena);
            whole.add(0, content);
            ChunkDigests pieces = new ChunkDigests(SIZE, 4096, arena);
            for (long at = 0; at < SIZE; at += Math.min(SIZE - at, 1536)) {
                pieces.add(at, content.asSlice(at, Math.min(SIZE - at, 1536)));
            }
            assertEquals(whole.digest(), pieces.digest());
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
     * A granule changed in a group whose hash was already brought up to date (hashing had moved on
     * to later groups, or the digest had been taken) still changes the final digest: the group is
     * hashed again, and the disk's digest is the one of the final content, whatever the order.
     */
    @Test
    void aChangeInAGroupAlreadySummarisedStillShowsInTheFinalDigest() {
        long group = 512L * DigestLevel.FANOUT * DigestLevel.FANOUT;
        long size = 3 * group + 512;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment first = randomBytes(arena, size, 11);
            MemorySegment last = randomBytes(arena, size, 11);
            last.set(ValueLayout.JAVA_BYTE, 5 * 512 + 7, (byte) ~last.get(ValueLayout.JAVA_BYTE, 5 * 512 + 7));

            ChunkDigests inOrder = new ChunkDigests(size, 512, arena);
            inOrder.add(0, last);
            ChunkDigests backwards = new ChunkDigests(size, 512, arena);
            for (long at = 3 * group; at >= 0; at -= group) {
                backwards.add(at, last.asSlice(at, Math.min(group, size - at)));
            }
            assertEquals(inOrder.digest(), backwards.digest());

            ChunkDigests history = new ChunkDigests(size, 512, arena);
            history.add(0, first);
            String before = history.digest();
            history.add(5 * 512, last.asSlice(5 * 512, 512));
            assertNotEquals(before, history.digest(), "a granule of the first group, summarised, changed after a digest");
            assertEquals(inOrder.digest(), history.digest());

            ChunkDigests moved = new ChunkDigests(size, 512, arena);
            moved.add(0, first.asSlice(0, 2 * group));
            moved.add(5 * 512, last.asSlice(5 * 512, 512));
            moved.add(2 * group, first.asSlice(2 * group, size - 2 * group));
            assertEquals(inOrder.digest(), moved.digest(), "changed after its group was hashed, before the digest");
        }
    }

    /**
     * The digest is part of the stream's contract (both sides, possibly of different builds, must
     * agree): pinned as block section v6 defines it, computed here again from its definition in one
     * pass over the final content, over 5000 nodes with gaps between the covered ones and whole
     * groups left out. A change of its definition must bump the section's version.
     */
    @Test
    void theDigestOverManyNodesIsTheOneTheStreamFormatDefines() {
        long granules = 5000L * DigestLevel.FANOUT;
        SortedMap<Long, byte[]> covered = new TreeMap<>();
        try (Arena arena = Arena.ofConfined()) {
            ChunkDigests digests = new ChunkDigests(granules * 512, 512, arena);
            SplittableRandom random = new SplittableRandom(7);
            for (long node = 0; node < 5000; node += 1 + random.nextInt(3)) {
                if (node / DigestLevel.FANOUT % 5 == 2) {
                    continue;
                }
                long granule = node * DigestLevel.FANOUT + random.nextInt(DigestLevel.FANOUT);
                MemorySegment bytes = random.nextBoolean() ? arena.allocate(512) : randomBytes(arena, 512, random.nextLong());
                digests.add(granule * 512, bytes);
                covered.put(granule, bytes.toArray(ValueLayout.JAVA_BYTE));
            }
            String digest = digests.digest();
            assertEquals(definedDigest(granules * 512, 512, covered), digest);
            assertEquals("b7f04097192b176889af10d88120f424", digest);
        }
    }

    /**
     * The v6 digest straight from its definition: XXH3-128 of each covered granule; of each node,
     * its u64 coverage mask and its 64 granule hashes (zeroes where not covered); of each group,
     * the same over its 64 nodes; of the disk, its size, granularity, the groups' u64 coverage masks
     * and every group's hash (zeroes where not covered). Hashes are 16 bytes, low half first;
     * numbers are little-endian u64.
     */
    private static String definedDigest(long size, int granularity, SortedMap<Long, byte[]> granules) {
        long count = (size + granularity - 1) / granularity;
        Map<Long, byte[]> hashes = new TreeMap<>();
        granules.forEach((granule, bytes) -> hashes.put(granule, bytes(Hashing.xxh3_128().hashBytesTo128Bits(bytes))));
        for (int level = 0; level < 2; level++) {
            Map<Long, byte[]> above = new TreeMap<>();
            for (long entry : hashes.keySet().stream().map(child -> child / DigestLevel.FANOUT).distinct().toList()) {
                HashStream128 stream = Hashing.xxh3_128().hashStream().putLong(mask(hashes, entry * DigestLevel.FANOUT));
                for (long child = entry * DigestLevel.FANOUT; child < Math.min(count, (entry + 1) * DigestLevel.FANOUT); child++) {
                    stream.putBytes(hashes.getOrDefault(child, new byte[16]));
                }
                above.put(entry, bytes(stream.get()));
            }
            hashes.clear();
            hashes.putAll(above);
            count = (count + DigestLevel.FANOUT - 1) / DigestLevel.FANOUT;
        }
        HashStream128 disk = Hashing.xxh3_128().hashStream().putLong(size).putLong(granularity);
        for (long first = 0; first < count; first += DigestLevel.FANOUT) {
            disk.putLong(mask(hashes, first));
        }
        for (long group = 0; group < count; group++) {
            disk.putBytes(hashes.getOrDefault(group, new byte[16]));
        }
        return HexFormat.of().formatHex(bytes(disk.get()));
    }

    /** Bit i set if entry {@code first + i} is covered, for 64 entries. */
    private static long mask(Map<Long, byte[]> hashes, long first) {
        long mask = 0;
        for (int i = 0; i < DigestLevel.FANOUT; i++) {
            mask |= hashes.containsKey(first + i) ? 1L << i : 0;
        }
        return mask;
    }

    private static byte[] bytes(HashValue128 hash) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(hash.getLeastSignificantBits()).putLong(hash.getMostSignificantBits()).array();
    }

    /**
     * A destination refuses at START a source of block section version 5, whose digest is defined
     * otherwise, and of version 6, whose DiskSpec carries a backing identity's hashes as hex strings.
     */
    @Test
    void peersOfVersions5And6AreRefused() {
        BlockTargetSection target = BlockTargetSection.of(TargetImage.of("vda", Path.of("never-opened.raw")));
        assertEquals(7, target.id().version());
        assertFalse(target.acceptsVersion(5), "a version 5 digest would never match");
        assertFalse(target.acceptsVersion(6), "a version 6 DiskSpec has another shape");
    }

    @Test
    void bytesOutOfOrderInsideAGranuleAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            ChunkDigests digests = new ChunkDigests(SIZE, 4096, arena);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> digests.add(512, random(arena, 3).asSlice(0, 512)));
            assertEquals("granule hashing out of order: got 512, expected the start of a granule", e.getMessage());
        }
    }

    private static MemorySegment randomBytes(Arena arena, long size, long seed) {
        MemorySegment bytes = arena.allocate(size);
        GuestWriter.fill(bytes.asSlice(0, size & -8), new SplittableRandom(seed));
        return bytes;
    }

    private static MemorySegment random(Arena arena, long seed) {
        return randomBytes(arena, SIZE, seed);
    }
}
