package dev.ferry.monitor.hmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizesTest {

    @Test
    void suffixesArePowersOfTwo() {
        assertEquals(4096, Sizes.parse("4096", 'B'));
        assertEquals(64L << 10, Sizes.parse("64K", 'B'));
        assertEquals(100L << 20, Sizes.parse("100m", 'B'));
        assertEquals(1L << 30, Sizes.parse("1G", 'B'));
        assertEquals(2L << 40, Sizes.parse("2T", 'B'));
    }

    @Test
    void fractionsAsQemuTakesThem() {
        assertEquals(3L << 29, Sizes.parse("1.5G", 'B'));
        assertEquals(512, Sizes.parse("0.5K", 'B'));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sizes.parse("1.0001K", 'B'))
                .getMessage().contains("whole number of bytes"));
    }

    @Test
    void bareNumberTakesTheDefaultUnit() {
        assertEquals(32L << 20, Sizes.parse("32", 'M'));
    }

    @Test
    void badSizesSayWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sizes.parse("ten", 'B'))
                .getMessage().contains("is not a size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sizes.parse("10X", 'B'))
                .getMessage().contains("unknown unit"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-1", 'B'))
                .getMessage().contains("negative"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999T", 'B'))
                .getMessage().contains("too large"));
    }

    @Test
    void humanSizes() {
        assertEquals("512 B", Sizes.human(512));
        assertEquals("1.5 GiB", Sizes.human(3L << 29));
    }
}
