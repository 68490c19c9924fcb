package dev.ferry.monitor.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.hmp.MigrationInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The demo's downtime, read from both sides' {@code info migrate} lines as they print them. */
class GuestPauseTest {

    private static final Instant PAUSED = Instant.parse("2026-12-07T09:00:00.000100Z");

    private static MigrationFigures source(long downtimeMillis, Instant pausedAt) {
        return MigrationFigures.parse(List.of("Migration status: completed", "downtime: " + downtimeMillis + " ms",
                "guest paused at: " + pausedAt));
    }

    private static Optional<MigrationInfo.IncomingStart> destination(long afterAckMillis, Instant at) {
        return MigrationFigures.destinationStart(List.of("Migration status: completed", "total time: 2000 ms",
                "start after ACK: " + afterAckMillis + " ms", "guest started at: " + at));
    }

    @Test
    void thePauseIsMeasuredOnOneClockFromTheSourcesPauseToTheDestinationsStart() {
        GuestPause pause = GuestPause.of(source(25, PAUSED), destination(3, PAUSED.plusMillis(17).plusNanos(600_000)));
        assertTrue(pause.exact());
        assertEquals(18, pause.millis(), "17.6 ms, rounded; less than the sum, which counts the ACK's trip twice");
        assertEquals(28, pause.sumMillis());
        assertTrue(pause.describe().startsWith("18 ms (from the source's pause to the destination's start"), pause.describe());
        GuestPause oneWay = GuestPause.of(source(8, PAUSED), destination(2, PAUSED.plusMillis(40)));
        assertTrue(oneWay.exact());
        assertEquals(40, oneWay.millis(), "over exec the source's downtime ends with its last byte: the sum falls short");
    }

    @Test
    void aStartBeforeThePauseIsNotTakenForThePause() {
        GuestPause early = GuestPause.of(source(25, PAUSED), destination(3, PAUSED.minusMillis(5)));
        assertFalse(early.exact(), "the clock went back between the readings");
        assertEquals(28, early.millis());
        assertTrue(early.describe().contains("the clock did not give the pause itself"), early.describe());
    }

    @Test
    void withoutTheDestinationsStartTheSourcesDowntimeIsAllThereIs() {
        GuestPause pause = GuestPause.of(source(25, PAUSED), Optional.empty());
        assertFalse(pause.exact());
        assertEquals(25, pause.millis());
        assertEquals(-1, pause.startAfterAckMillis());
        assertEquals("25 ms (the source's, until the destination's ACK)", pause.describe());
        assertEquals(Optional.empty(), MigrationFigures.destinationStart(List.of("start after ACK: 3 ms", "guest started at: soon")),
                "a time that does not parse gives no start");
        assertEquals(Duration.ofMillis(3), destination(3, PAUSED).orElseThrow().afterAck());
    }
}
