package dev.ferry.savevm.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConvergenceTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MB = 1_000_000L;

    @Test
    void aLargeDiskOnASlowLinkWithAQuietGuestIsNotAStall() {
        // 128 MiB pending, 5 MB/s sent, 140 KB/s dirtied: pending shrinks by under 4 % a second.
        Convergence convergence = new Convergence(Duration.ofSeconds(1), 0);
        long pending = 128L << 20;
        long sent = 0;
        convergence.observe(0, pending, sent);
        for (int second = 1; second <= 20; second++) {
            sent += 5 * MB;
            pending -= 5 * MB - 140_000;
            assertFalse(convergence.observe(second * SECOND, pending, sent), "second " + second);
        }
        assertEquals(0, convergence.level());
        assertEquals("", convergence.reason());
    }

    @Test
    void aGuestDirtyingHalfOfWhatIsSentRaisesTheLevelFromTheSecondWindowOn() {
        Convergence convergence = new Convergence(Duration.ofSeconds(1), 0);
        long pending = 64 * MB;
        long sent = 0;
        convergence.observe(0, pending, sent);
        sent += 8 * MB;
        pending -= 4 * MB; // 4 MB of the 8 MB sent came back dirty
        assertFalse(convergence.observe(SECOND, pending, sent), "one window is not yet a trend");
        sent += 8 * MB;
        pending -= 4 * MB;
        assertTrue(convergence.observe(2 * SECOND, pending, sent));
        assertEquals(1, convergence.level());
        assertEquals("the guest dirtied 4.0 MB/s while 8.0 MB/s was sent", convergence.reason());
        sent += 8 * MB;
        assertTrue(convergence.observe(3 * SECOND, pending, sent), "a stall that goes on raises it again");
        assertEquals(2, convergence.level());
    }

    @Test
    void aWindowIsDueAtItsStartAndEndAndGivesTheDirtyRate() {
        Convergence convergence = new Convergence(Duration.ofSeconds(1), 0);
        assertTrue(convergence.due(0), "the first figure starts a window");
        convergence.observe(0, 64 * MB, 0);
        assertFalse(convergence.due(SECOND - 1));
        assertTrue(convergence.due(SECOND));
        convergence.observe(2 * SECOND, 60 * MB, 10 * MB); // 10 MB sent, pending 4 MB lower: 6 MB dirtied
        assertEquals(3 * MB, convergence.dirtyRate());
        assertFalse(convergence.due(2 * SECOND));
    }

    @Test
    void stallsWithAConvergingWindowBetweenThemDoNotRaiseTheLevel() {
        Convergence convergence = new Convergence(Duration.ofSeconds(1), 0);
        long pending = 64 * MB;
        long sent = 0;
        convergence.observe(0, pending, sent);
        for (int window = 1; window <= 10; window++) {
            sent += 8 * MB;
            pending -= window % 2 == 0 ? 7 * MB : 2 * MB;
            assertFalse(convergence.observe(window * SECOND, pending, sent), "window " + window);
        }
        assertEquals(0, convergence.level());
    }

    @Test
    void nothingPendingIsNeverAStallAndWindowsShorterThanTheSettingAreNotJudged() {
        Convergence convergence = new Convergence(Duration.ofSeconds(1), 1);
        convergence.observe(0, 0, 0);
        assertFalse(convergence.observe(SECOND, 0, 0));
        assertFalse(convergence.observe(2 * SECOND, 0, 0));
        assertFalse(convergence.observe(2 * SECOND + SECOND / 2, 10 * MB, 0), "half a window");
        assertFalse(convergence.exhausted());
    }

    @Test
    void aLinkThatCarriesNothingWhilePendingStaysIsAStallAndTheLimitEndsIt() {
        Convergence convergence = new Convergence(Duration.ofMillis(100), 2);
        long window = SECOND / 10;
        convergence.observe(0, 10 * MB, 0);
        assertFalse(convergence.observe(window, 10 * MB, 0));
        assertTrue(convergence.observe(2 * window, 10 * MB, 0));
        assertFalse(convergence.exhausted());
        assertTrue(convergence.observe(3 * window, 10 * MB, 0));
        assertTrue(convergence.exhausted());
    }
}
