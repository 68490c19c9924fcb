package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class DirtyBitmapTest {

    private static final long MIB = 1 << 20;

    /**
     * A mark sets its bits before it adds them to the count, so a clearer between the two made the
     * count negative for a moment: the destination once reported a backlog of -256 KiB and the
     * source refused the report. The count a reader sees never goes below zero.
     */
    @Test
    void theCountSeenWhileMarkingAndClearingRaceIsNeverNegative() throws InterruptedException {
        long size = 64 * 64 * 4096L;
        DirtyBitmap bitmap = new DirtyBitmap(size, 4096);
        long until = System.nanoTime() + 300_000_000L;
        Thread marker = Thread.ofPlatform().start(() -> {
            while (System.nanoTime() < until) {
                bitmap.mark(0, size); // 64 words, counted once after all their bits are set
            }
        });
        Thread clearer = Thread.ofPlatform().start(() -> {
            while (System.nanoTime() < until) {
                bitmap.takeNext(0);
            }
        });
        long lowest = 0;
        while (System.nanoTime() < until) {
            lowest = Math.min(lowest, bitmap.count());
        }
        marker.join();
        clearer.join();
        assertEquals(0, lowest, "a count below zero was seen");
    }

    @Test
    void aWriteSpanningChunksMarksEachOnceAndCountsThem() {
        DirtyBitmap bitmap = new DirtyBitmap(10 * MIB + 512, MIB);
        assertEquals(11, bitmap.chunks());
        assertEquals(3, bitmap.mark(MIB - 512, MIB + 1024));
        assertEquals(0, bitmap.mark(MIB, 4096), "already dirty");
        assertEquals(1, bitmap.mark(10 * MIB, 512), "the short last chunk");
        assertEquals(4, bitmap.count());
        assertTrue(bitmap.isSet(0) && bitmap.isSet(1) && bitmap.isSet(2) && bitmap.isSet(10));
        assertFalse(bitmap.isSet(3));
    }

    @Test
    void takeNextReturnsSetChunksInOrderClearingThem() {
        DirtyBitmap bitmap = new DirtyBitmap(1000 * MIB, MIB);
        long[] marked = {0, 63, 64, 65, 500, 999};
        for (long chunk : marked) {
            bitmap.mark(chunk * MIB, 1);
        }
        assertEquals(500, bitmap.takeNext(100));
        List<Long> taken = new ArrayList<>();
        for (long chunk = bitmap.takeNext(0); chunk >= 0; chunk = bitmap.takeNext(chunk + 1)) {
            taken.add(chunk);
        }
        assertEquals(List.of(0L, 63L, 64L, 65L, 999L), taken);
        assertEquals(0, bitmap.count());
        assertEquals(-1, bitmap.takeNext(0));
    }

    @Test
    void setAllCoversAWordBoundaryExactly() {
        DirtyBitmap bitmap = new DirtyBitmap(130 * 4096, 4096);
        bitmap.setAll();
        assertEquals(130, bitmap.count());
        long last = -1;
        for (long chunk = bitmap.takeNext(0); chunk >= 0; chunk = bitmap.takeNext(chunk + 1)) {
            last = chunk;
        }
        assertEquals(129, last);
        assertEquals(0, bitmap.count());
    }

    @Test
    void markSkipsChunksSetInTheExceptBitmap() {
        DirtyBitmap bulk = new DirtyBitmap(8 * MIB, MIB);
        DirtyBitmap dirty = new DirtyBitmap(8 * MIB, MIB);
        bulk.mark(2 * MIB, 2 * MIB);
        assertEquals(2, dirty.mark(0, 4 * MIB, bulk), "chunks 0 and 1, not 2 and 3 still owed by bulk");
        assertFalse(dirty.isSet(2));
    }

    @Test
    void pagesDeferToTheCoarserChunksStillOwedByBulk() {
        DirtyBitmap bulk = new DirtyBitmap(8 * MIB, MIB);
        DirtyBitmap pages = new DirtyBitmap(8 * MIB, 4096);
        bulk.mark(MIB, MIB);
        assertEquals(1, pages.mark(MIB - 4096, 2 * 4096, bulk), "the last page of chunk 0, not the first of chunk 1");
        assertTrue(pages.isSet(255));
        assertFalse(pages.isSet(256));
        assertThrows(IllegalArgumentException.class, () -> bulk.mark(0, 4096, pages));
    }

    @Test
    void rangesClearAndReadWithoutTakingOneBitAtATime() {
        DirtyBitmap bitmap = new DirtyBitmap(1024 * 4096L, 4096);
        bitmap.mark(60 * 4096L, 10 * 4096L);
        bitmap.mark(500 * 4096L, 4096);
        assertEquals(0b1111L << 60, bitmap.bits(0, 64) & (0b1111L << 60));
        assertEquals(0b111111L, bitmap.bits(64, 64));
        assertEquals(0b11L, bitmap.bits(64, 2));
        assertEquals(60, bitmap.nextSet(0));
        assertEquals(500, bitmap.nextSet(70));
        assertEquals(-1, bitmap.nextSet(501));
        assertEquals(7, bitmap.clear(63, 128), "bits 63..69");
        assertEquals(4, bitmap.count());
        assertTrue(bitmap.isSet(62) && !bitmap.isSet(63));
        assertThrows(IllegalArgumentException.class, () -> bitmap.bits(32, 64));
    }

    @Test
    void rejectsAChunkSizeThatIsNotAPowerOfTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DirtyBitmap(MIB, 3000));
        assertEquals("chunk size 3000 is not a power of two", e.getMessage());
    }

    @Test
    void noMarkIsLostBetweenAConcurrentMarkerAndTaker() throws InterruptedException {
        int chunks = 4096;
        DirtyBitmap bitmap = new DirtyBitmap(chunks * 4096L, 4096);
        BitSet marked = new BitSet(chunks);
        Thread marker = Thread.ofPlatform().start(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < 200_000; i++) {
                int chunk = random.nextInt(chunks);
                marked.set(chunk);
                bitmap.mark(chunk * 4096L, 4096);
            }
        });
        BitSet taken = new BitSet(chunks);
        long cursor = 0;
        while (marker.isAlive()) {
            long chunk = bitmap.takeNext(cursor);
            if (chunk < 0) {
                cursor = 0;
            } else {
                taken.set((int) chunk);
                cursor = chunk + 1;
            }
        }
        marker.join();
        for (long chunk = bitmap.takeNext(0); chunk >= 0; chunk = bitmap.takeNext(chunk + 1)) {
            taken.set((int) chunk);
        }
        assertEquals(marked, taken);
        assertEquals(0, bitmap.count());
    }
}
