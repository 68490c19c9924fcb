package dev.ferry.savevm.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What the frames after a reported offset still stand for at the destination. */
class ThroughputMeterTest {

    @Test
    void theBytesFramesImplyCountUntilAReportPassesTheirEnd() {
        ThroughputMeter meter = new ThroughputMeter();
        meter.record(100, 0);
        meter.record(40, 1 << 20); // a frame of zero markers for 1 MiB
        meter.record(4096, 0);
        meter.record(40, 4 << 20);
        assertEquals(5 << 20, meter.impliedAfter(0), "nothing applied: every marker is due");
        assertEquals(5 << 20, meter.impliedAfter(100));
        assertEquals(4 << 20, meter.impliedAfter(140), "the first markers' frame applied");
        assertEquals(4 << 20, meter.impliedAfter(4236));
        assertEquals(0, meter.impliedAfter(4276), "everything applied");
    }

    /** A report older than every frame the meter remembers must not hide the work after it. */
    @Test
    void aReportOlderThanTheFramesRememberedCountsEveryImpliedByte() {
        ThroughputMeter meter = new ThroughputMeter();
        for (int i = 0; i < 5000; i++) {
            meter.record(20, 1000);
        }
        assertEquals(5000 * 1000L, meter.impliedAfter(20));
        assertEquals(1000, meter.impliedAfter(meter.totalBytes() - 20));
    }
}
