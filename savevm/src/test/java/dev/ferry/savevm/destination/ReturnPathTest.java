package dev.ferry.savevm.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.ProgressReport;
import dev.ferry.savevm.stream.StreamFormat;
import java.nio.channels.Pipe;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The destination's PROGRESS reports: every change goes out, and a reporter with nothing new mostly sleeps. */
class ReturnPathTest {

    @Test
    void everyChangeIsReportedAndAQuietReporterLooksRarely() throws Exception {
        Pipe pipe = Pipe.open();
        AtomicReference<ProgressReport> progress = new AtomicReference<>(new ProgressReport(0, 0));
        AtomicInteger looks = new AtomicInteger();
        try (ReturnPath path = new ReturnPath(pipe.sink()); FrameReader reader = new FrameReader(pipe.source(), StreamFormat.MAX_PAYLOAD)) {
            path.startReports(() -> {
                looks.incrementAndGet();
                return progress.get();
            });
            assertEquals(new ProgressReport(0, 0), report(reader.next(Phase.LOAD)));
            for (long applied = 4096; applied <= 3 * 4096; applied += 4096) {
                progress.set(new ProgressReport(applied, applied / 2));
                path.nudge();
                assertEquals(new ProgressReport(applied, applied / 2), report(reader.next(Phase.LOAD)), "each change reported");
            }
            Thread.sleep(50); // quiet long enough to back off fully
            int before = looks.get();
            Thread.sleep(320);
            int quietLooks = looks.get() - before;
            // Every 2 ms that would be 160; backed off to one per 16 ms, at most 20 (fewer under load).
            assertTrue(quietLooks <= 25, "looks while nothing changed: " + quietLooks);
            progress.set(new ProgressReport(1 << 20, 0)); // a backlog drained: no nudge, still reported
            assertEquals(new ProgressReport(1 << 20, 0), report(reader.next(Phase.LOAD)));
        }
    }

    private static ProgressReport report(Frame frame) throws Exception {
        assertEquals(FrameKind.PROGRESS, frame.kind());
        return ProgressReport.decode(frame.payload(), Phase.LOAD);
    }
}
