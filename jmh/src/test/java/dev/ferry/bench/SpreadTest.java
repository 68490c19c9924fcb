package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class SpreadTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(new Spread(3, 1, 9, 3), Spread.of(9, 1, 3));
        assertEquals(new Spread(2.5, 1, 9, 4), Spread.of(9, 1, 3, 2));
    }

    @Test
    void missingFiguresAreLeftOut() {
        assertEquals(new Spread(4, 4, 4, 1), Spread.of(Double.NaN, 4));
        assertFalse(Spread.of(Double.NaN).present());
        assertEquals("-", Spread.of().format(1));
    }

    @Test
    void formatsMedianAndRange() {
        assertEquals("2.50 [1.00..9.00]", Spread.of(9, 1, 3, 2).format(2));
        assertEquals("7", Spread.of(7.2).format(0));
    }
}
