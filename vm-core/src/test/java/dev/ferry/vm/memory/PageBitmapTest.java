package dev.ferry.vm.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PageBitmapTest {

    @Test
    void marksRangesAcrossWordBoundariesLikeABitSet() {
        PageBitmap bitmap = new PageBitmap(1000);
        BitSet expected = new BitSet();
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            int first = random.nextInt(1000);
            int count = random.nextInt(Math.min(150, 1000 - first) + 1);
            bitmap.mark(first, count);
            expected.set(first, first + count);
        }
        for (int i = 0; i < 30; i++) {
            int first = random.nextInt(1000);
            int count = random.nextInt(Math.min(100, 1000 - first) + 1);
            bitmap.clear(first, count);
            expected.clear(first, first + count);
        }
        assertEquals(expected.cardinality(), bitmap.count());
        for (int page = 0; page < 1000; page++) {
            assertEquals(expected.get(page), bitmap.isSet(page), "page " + page);
            int next = expected.nextSetBit(page);
            assertEquals(next, bitmap.nextSet(page), "nextSet " + page);
            assertEquals(Math.min(1000, expected.nextClearBit(page)), bitmap.nextClear(page), "nextClear " + page);
        }
    }

    @Test
    void lastWordIgnoresBitsPastTheEnd() {
        PageBitmap bitmap = new PageBitmap(70);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment log = arena.allocate(bitmap.byteSize());
            log.fill((byte) 0xff);
            bitmap.addKvmLog(log);
        }
        assertEquals(-1, bitmap.nextSet(70));
        assertEquals(70, bitmap.nextClear(0));
        assertThrows(IndexOutOfBoundsException.class, () -> bitmap.mark(69, 2));
    }

    @Test
    void addsKvmLogWords() {
        PageBitmap bitmap = new PageBitmap(128);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment log = arena.allocate(16);
            log.setAtIndex(ValueLayout.JAVA_LONG, 0, 1L << 3);
            log.setAtIndex(ValueLayout.JAVA_LONG, 1, 1L << 63);
            bitmap.addKvmLog(log);
        }
        assertTrue(bitmap.isSet(3));
        assertTrue(bitmap.isSet(127));
        assertEquals(2, bitmap.count());
    }

    @Test
    void drainLosesNoMarkMadeConcurrently() throws Exception {
        PageBitmap source = new PageBitmap(4096);
        PageBitmap seen = new PageBitmap(4096);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int offset = t;
            writers.add(Thread.ofPlatform().start(() -> {
                for (int page = offset; page < 4096; page += 2) {
                    source.mark(page, 1);
                }
            }));
        }
        while (writers.stream().anyMatch(Thread::isAlive)) {
            source.drainInto(seen);
        }
        source.drainInto(seen);
        assertEquals(4096, seen.count());
        assertEquals(0, source.count());
    }
}
