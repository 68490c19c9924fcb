package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor in QEMU's words, on two real processes: parameters and capabilities set and shown
 * before a migration, {@code -incoming defer} with {@code migrate_incoming}, the {@code block}
 * capability making a plain {@code migrate} copy the disk, and {@code info migrate} on both sides
 * with QEMU 7.2's field names in QEMU's order (checked against qemu-system-x86_64 7.2 by hand).
 */
class MonitorWordsIT {

    /** The fields QEMU 7.2's {@code info migrate} prints for a completed block migration, in its order. */
    private static final List<String> QEMU_FIELDS = List.of("Migration status", "total time", "downtime", "setup",
            "transferred ram", "throughput", "remaining ram", "total ram", "dirty sync count",
            "transferred disk", "remaining disk", "total disk");

    @Test
    void settingsShowBeforeAMigrationAndBothSidesReportItAsQemuDoes(@TempDir Path dir) throws Exception {
        Path sourceDir = Files.createDirectory(dir.resolve("source"));
        Path destinationDir = Files.createDirectory(dir.resolve("destination"));
        Path logs = Files.createDirectory(dir.resolve("logs"));
        Path disk = sourceDir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 16L << 20, 3);
        try (FerryProcess source = FerryProcess.start("source", sourceDir, logs, "--disk", disk + ",format=raw", "--workload-rate", "256K");
             FerryProcess destination = FerryProcess.start("destination", destinationDir, logs,
                     "--disk", destinationDir.resolve("disk.img") + ",format=raw", "--incoming", "defer")) {
            assertEquals(List.of("max-bandwidth: 9223372036854775807 bytes/second (unlimited)", "downtime-limit: 300 ms",
                    "block-incremental: off", "frame-checksum: auto"), source.command("info migrate_parameters"));
            assertEquals(List.of("auto-converge: on", "events: off", "block: off"), source.command("info migrate_capabilities"));
            assertEquals(List.of(), source.command("migrate_set_parameter max-bandwidth 64M"));
            assertEquals(List.of(), source.command("migrate_set_parameter downtime-limit 200"));
            assertEquals(List.of(), source.command("migrate_set_parameter frame-checksum CRC32C"));
            assertEquals(List.of(), source.command("migrate_set_capability block on"));
            assertEquals(List.of(), source.command("migrate_set_capability auto-converge off"));
            assertEquals(List.of("max-bandwidth: 67108864 bytes/second", "downtime-limit: 200 ms", "block-incremental: off",
                    "frame-checksum: crc32c"), source.command("info migrate_parameters"));
            assertEquals(List.of("auto-converge: off", "events: off", "block: on"), source.command("info migrate_capabilities"));
            assertTrue(source.answer("migrate_set_parameter downtime-limit 0").contains("downtime-limit"));
            assertEquals("migrate_set_parameter: frame-checksum 'md5': 'md5' is not one of auto, crc32c, xxh3",
                    source.answer("migrate_set_parameter frame-checksum md5"));
            assertTrue(source.answer("migrate_set_capability zero-copy on").contains("unknown capability 'zero-copy'"));
            assertTrue(source.answer("info version").matches("\\d+\\.\\d+\\.\\d+\\S* \\(ferry\\)"));

            assertEquals(List.of("Migration status: none"), destination.command("info migrate"));
            assertEquals(List.of(), destination.command("migrate_incoming tcp:127.0.0.1:0"));
            String uri = destination.incomingUri();
            assertEquals(List.of("socket address: [", "\t" + uri, "]"), destination.command("info migrate"));
            assertTrue(destination.answer("migrate_incoming tcp:127.0.0.1:0").contains("already waiting"));

            assertEquals(List.of(), source.command("migrate -d " + uri));
            LiveMigrationRig.awaitStatus(source, s -> s.equals("Migration status: completed"), Duration.ofSeconds(60));
            List<String> report = source.command("info migrate");
            List<String> fields = report.stream().map(l -> l.substring(0, l.indexOf(':'))).filter(QEMU_FIELDS::contains).toList();
            assertEquals(QEMU_FIELDS, fields, report.toString());
            assertTrue(report.contains("total disk: 16384 kbytes"), report.toString());
            assertTrue(report.contains("remaining disk: 0 kbytes"), report.toString());
            assertTrue(report.stream().anyMatch(l -> l.matches("throughput: \\d+\\.\\d\\d mbps")), report.toString());
            assertTrue(report.contains("frame checksum: CRC32C (set by frame-checksum)"), report.toString());

            LiveMigrationRig.awaitStatus(destination, s -> s.equals("Migration status: completed"), Duration.ofSeconds(60));
            List<String> incoming = destination.command("info migrate");
            assertTrue(incoming.get(1).matches("total time: \\d+ ms"), incoming.toString());
            // The end of the guest's pause that the source's downtime (until the ACK) leaves out.
            assertTrue(incoming.get(2).matches("start after ACK: \\d+ ms"), incoming.toString());
            Instant started = Instant.parse(incoming.get(3).substring("guest started at: ".length()));
            Instant paused = report.stream().filter(l -> l.startsWith("guest paused at: ")).findFirst()
                    .map(l -> Instant.parse(l.substring("guest paused at: ".length()))).orElseThrow(() -> new AssertionError(report));
            assertTrue(!started.isBefore(paused), "the destination started before the source paused: " + report + incoming);
            assertTrue(destination.answer("guest_verify").startsWith("vda: verify ok"));
            assertEquals(0, destination.quit());
            assertEquals(0, source.quit());
        }
    }

    @Test
    void migrateIncomingNeedsDeferAndAGoodUri(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 4L << 20, 4);
        Path logs = Files.createDirectory(dir.resolve("logs"));
        try (FerryProcess vm = FerryProcess.start("vm", dir, logs, "--disk", disk + ",format=raw")) {
            assertEquals("migrate_incoming: the VM was not started with -incoming defer", vm.answer("migrate_incoming tcp:127.0.0.1:0"));
            assertEquals(0, vm.quit());
        }
        Path other = Files.createDirectory(dir.resolve("deferred"));
        try (FerryProcess deferred = FerryProcess.start("deferred", other, logs, "--disk", other.resolve("d.img") + ",format=raw",
                "--incoming", "defer")) {
            assertTrue(deferred.answer("migrate_incoming carrier-pigeon:home").startsWith("migrate_incoming: "));
            assertEquals("VM status: paused (inmigrate)", deferred.answer("info status"));
            assertEquals(List.of(), deferred.command("migrate_incoming tcp:127.0.0.1:0"));
            deferred.incomingUri();
            assertEquals(0, deferred.quit());
        }
    }
}
