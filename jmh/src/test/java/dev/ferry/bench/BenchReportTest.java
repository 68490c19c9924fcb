package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The QEMU ratio reads as its name says: QEMU's time over Ferry's, so a faster Ferry scores higher. */
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
