package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizesTest {

    @Test
    void formatsAndParsesFerrysSpelling() {
        assertEquals("4G", Sizes.format(4L << 30));
        assertEquals("100M", Sizes.format(100L << 20));
        assertEquals("1536M", Sizes.format(1536L << 20));
        assertEquals("1000", Sizes.format(1000));
        assertEquals(4L << 30, Sizes.parse("4G"));
        assertEquals(3L << 29, Sizes.parse("1536m"));
        assertEquals(4096, Sizes.parse("4096"));
    }

    @Test
    void badSizeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("4GB"));
        assertTrue(e.getMessage().contains("'4GB'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse(""));
    }
}
