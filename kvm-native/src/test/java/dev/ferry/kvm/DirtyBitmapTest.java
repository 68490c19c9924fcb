package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirtyBitmapTest {

    @Test
    void walksSetBitsAcrossWordsAndIgnoresBitsPastTheLastPage() {
        try (Arena arena = Arena.ofConfined()) {
            long pages = 130;
            MemorySegment bits = arena.allocate(DirtyBitmap.bytesFor(pages), 8);
            assertEquals(24, bits.byteSize());
            bits.set(JAVA_LONG, 0, 1L | 1L << 63);
            bits.set(JAVA_LONG, 16, 1L << 1 | 1L << 5);
            DirtyBitmap bitmap = new DirtyBitmap(bits, pages);
            assertEquals(List.of(0L, 63L, 129L), bitmap.dirtyPages().boxed().toList());
            assertTrue(bitmap.isDirty(63));
            assertFalse(bitmap.isDirty(64));
            assertEquals(129, bitmap.nextDirty(64));
            assertEquals(-1, bitmap.nextDirty(130));
            assertEquals(4, bitmap.count());
        }
    }
}
