package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The QEMU ratio reads as its name says: QEMU's time over Ferry's, so a faster Ferry scores higher; the
 * incremental ratio compares the rows it names.
 */
class BenchReportTest {

    private static final long GIB = 1L << 30;

    @Test
    void qemuTakingThreeTimesFerrysTimeScoresThreeAndMeetsTheTwiceTarget() {
        Target target = qemuTarget(1000, 3000);
        assertEquals(3.0, target.value(), 1e-9);
        assertTrue(target.met());
    }

    @Test
    void qemuAsFastAsFerryMissesIt() {
        Target target = qemuTarget(1000, 1000);
        assertEquals(1.0, target.value(), 1e-9);
        assertFalse(target.met());
    }

    /** The incremental target compares the two rows without a guest, (h) over (g), not (d) over (b). */
    @Test
    void theIncrementalTargetIsHOverG() {
        List<ScenarioResult> results = List.of(result("b", 2000), result("d", 300), result("g", 2000), result("h", 200));
        BenchReport report = new BenchReport(ZonedDateTime.now(), new MachineInfo(2, GIB, "cpu", "kernel", "jdk", false, "0"),
                1, results);
        Target target = report.targets().stream().filter(t -> t.name().startsWith("(h)")).findFirst().orElseThrow();
        assertEquals(0.1, target.value(), 1e-9);
        assertTrue(target.met());
        assertEquals(0.15, report.timeOver("d", "b"), 1e-9);
    }

    private static ScenarioResult result(String id, double totalMs) {
        ScenarioResult result = new ScenarioResult(new DemoMigration(id, "copy", GIB, List.of()));
        result.runs().add(run(totalMs));
        return result;
    }

    private static Target qemuTarget(double ferryMs, double qemuMs) {
        ScenarioResult ferry = new ScenarioResult(new DemoMigration("b", "full copy", GIB, List.of()));
        ferry.runs().add(run(ferryMs));
        ScenarioResult qemu = new ScenarioResult(new QemuBlockMigration("q", GIB, "qemu-system-x86_64"));
        qemu.runs().add(run(qemuMs));
        BenchReport report = new BenchReport(ZonedDateTime.now(), new MachineInfo(2, GIB, "cpu", "kernel", "jdk", false, "0"),
                1, List.of(ferry, qemu));
        return report.targets().stream().filter(t -> t.name().startsWith("QEMU")).findFirst().orElseThrow();
    }

    private static RunResult run(double totalMs) {
        return new RunResult(totalMs, 10, GIB, GIB / 2, GIB / 2, new LinkedHashMap<>());
    }
}
