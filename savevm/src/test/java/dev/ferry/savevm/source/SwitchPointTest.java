package dev.ferry.savevm.source;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SwitchPointTest {

    private static final long MS = 1_000_000L;

    @Test
    void keepsCopyingWhileTheRestShrinksAndPausesWhenItStops() {
        SwitchPoint point = new SwitchPoint();
        assertFalse(point.observe(0, 8_000_000, true), "the first fit only starts the wait");
        assertFalse(point.observe(10 * MS, 2_000_000, true));
        assertFalse(point.observe(20 * MS, 500_000, true));
        assertFalse(point.observe(30 * MS, 100_000, true));
        assertTrue(point.observe(40 * MS, 95_000, true), "less than 10% smaller than the smallest: no longer worth it");
    }

    @Test
    void pausesAtOnceWhenNothingIsPending() {
        assertTrue(new SwitchPoint().observe(0, 0, true));
        SwitchPoint settling = new SwitchPoint();
        assertFalse(settling.observe(0, 4096, true));
        assertTrue(settling.observe(MS, 0, true));
    }

    @Test
    void aRestThatStopsFittingStartsTheWaitAnew() {
        SwitchPoint point = new SwitchPoint();
        assertFalse(point.observe(0, 1_000_000, true));
        assertFalse(point.observe(10 * MS, 900_000_000, false));
        assertFalse(point.observe(5000 * MS, 2_000_000, true), "a new first fit, however late, never pauses at once");
        assertTrue(point.observe(5010 * MS, 1_900_000, true));
    }

    @Test
    void aRestThatKeepsShrinkingPausesAfterTheLongestWait() {
        SwitchPoint point = new SwitchPoint();
        long pending = 1L << 40;
        assertFalse(point.observe(0, pending, true));
        long now = 0;
        while (now < SwitchPoint.MAX_SETTLE_MILLIS * MS - 100 * MS) {
            now += 100 * MS;
            pending /= 2;
            assertFalse(point.observe(now, pending, true), "still halving at " + now / MS + " ms");
        }
        assertTrue(point.observe(SwitchPoint.MAX_SETTLE_MILLIS * MS, pending / 2, true));
    }
}
