package dev.ferry.vm.workload;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The self-checking disk block the built-in guest writes (vm-core/src/main/guest/disk.c), so a
 * block written by the guest and one written by the host workload read the same way: words of
 * magic, block index, sequence number and checksum, then a pattern seeded by (disk seed, block,
 * seq). Any reader of the raw bytes can tell a stale, torn or misplaced block.
 */
public final class VerifiableBlock {

    /** "FERRYBLK" read as a little-endian word. */
    static final long MAGIC = 0x4b4c425952524546L;

    private static final long WORD_STEP = 0x9e3779b97f4a7c15L;
    private static final int HEADER_WORDS = 4;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    private VerifiableBlock() {
    }

    /** The disk seed both writers derive from the workload seed. */
    static long diskSeed(long seed) {
        return mix64(seed ^ 0x6469736bL);
    }

    /** Fills {@code block} (a whole block buffer) with the content of (index, seq). */
    static void fill(MemorySegment block, long diskSeed, long index, int seq) {
        long words = block.byteSize() / 8;
        long pattern = mix64(diskSeed ^ (index << 24) ^ Integer.toUnsignedLong(seq));
        for (long i = HEADER_WORDS; i < words; i++) {
            block.setAtIndex(WORD, i, pattern ^ ((i - HEADER_WORDS) * WORD_STEP));
        }
        block.setAtIndex(WORD, 0, MAGIC);
        block.setAtIndex(WORD, 1, index);
        block.setAtIndex(WORD, 2, Integer.toUnsignedLong(seq));
        block.setAtIndex(WORD, 3, checksum(block));
    }

    /** Whether {@code block} holds exactly the content of (index, seq). */
    static boolean matches(MemorySegment block, long diskSeed, long index, int seq) {
        if (block.getAtIndex(WORD, 0) != MAGIC || block.getAtIndex(WORD, 1) != index
                || block.getAtIndex(WORD, 2) != Integer.toUnsignedLong(seq)) {
            return false;
        }
        long words = block.byteSize() / 8;
        long pattern = mix64(diskSeed ^ (index << 24) ^ Integer.toUnsignedLong(seq));
        for (long i = HEADER_WORDS; i < words; i++) {
            if (block.getAtIndex(WORD, i) != (pattern ^ ((i - HEADER_WORDS) * WORD_STEP))) {
                return false;
            }
        }
        return block.getAtIndex(WORD, 3) == checksum(block);
    }

    private static long checksum(MemorySegment block) {
        long words = block.byteSize() / 8;
        long sum = 0;
        for (long i = HEADER_WORDS; i < words; i++) {
            sum += block.getAtIndex(WORD, i) * (2 * i + 1);
        }
        return sum;
    }

    /** splitmix64's finaliser, as the guest's mix64. */
    static long mix64(long x) {
        x ^= x >>> 30;
        x *= 0xbf58476d1ce4e5b9L;
        x ^= x >>> 27;
        x *= 0x94d049bb133111ebL;
        return x ^ (x >>> 31);
    }
}
