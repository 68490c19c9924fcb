package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a QEMU user types first, tried on the built image: help on every command, QEMU's one-dash
 * spellings, SIGTERM, an unnamed raw format, and the monitor's help and info topics.
 */
class QemuHabitsIT {

    @Test
    void everyCommandAnswersHelp() throws Exception {
        List<List<String>> asks = List.of(List.of("--help"), List.of("-h"), List.of("help"), List.of("help", "run"),
                List.of("run", "--help"), List.of("run", "-h"), List.of("demo", "--help"), List.of("img", "--help"),
                List.of("img"), List.of("img", "create", "--help"), List.of("img", "info", "--help"));
        for (List<String> ask : asks) {
            FerryImage.Result result = FerryImage.run(60, ask.toArray(String[]::new));
            assertEquals(0, result.exitCode(), ask + ": " + result.stderr());
            assertTrue(result.stdout().startsWith("Usage: ferry"), ask + " printed: " + result.stdout());
            assertEquals("", result.stderr(), ask.toString());
        }
        assertTrue(FerryImage.run(60, "demo", "--help").stdout().contains("--disk-size"));
    }

    @Test
    void oneDashSpellingsFractionalSizesAndSigterm(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.raw");
        assertEquals(0, FerryImage.run(60, "img", "create", "-f", "raw", disk.toString(), "4M").exitCode());
        Path logs = Files.createDirectory(dir.resolve("logs"));
        try (FerryProcess vm = FerryProcess.startSpelled("vm", dir, logs, List.of("-machine", "none", "-serial", "none",
                "-m", "1.5G", "-smp", "1", "-monitor", "unix:" + FerryProcess.socket(dir) + ",server,nowait",
                "-drive", "file=" + disk + ",format=raw,if=virtio"))) {
            assertEquals("VM status: running", vm.answer("info status"));
            assertTrue(vm.answer("info block vda").startsWith("vda: " + disk), vm.command("info block").toString());
            assertEquals(List.of("info block: no drive 'vdz' (see 'info block')"), vm.command("info block vdz"));
            assertTrue(vm.command("help info migrate").getFirst().startsWith("Usage: info migrate"), vm.command("help info migrate").toString());
            assertTrue(vm.command("help block").getFirst().startsWith("Usage: info block"));
            assertTrue(vm.command("help info").stream().anyMatch(l -> l.startsWith("info migrate ")), vm.command("help info").toString());
            assertEquals(0, vm.terminate(), vm.stderr());
            assertTrue(vm.stderr().contains("ferry: terminating on signal 15"), vm.stderr());
            assertFalse(Files.exists(FerryProcess.socket(dir)), "the monitor socket is left behind");
            assertFalse(vm.stderr().contains("warning"), vm.stderr());
        }
    }

    @Test
    void theMonitorAnswersAtOnceWhileTheMigrationThrottlesTheWriter(@TempDir Path dir) throws Exception {
        try (LiveMigrationRig rig = LiveMigrationRig.start(dir, 5)) {
            FerryProcess source = rig.source();
            assertEquals(List.of(), source.command("migrate_set_speed 5M"));
            assertEquals(List.of(), source.command("migrate -d -b " + rig.destination().incomingUri()));
            long slowest = 0;
            for (int i = 0; i < 20; i++) {
                long start = System.nanoTime();
                assertTrue(source.command("info guest").stream().anyMatch(l -> l.startsWith("workload vda:")));
                slowest = Math.max(slowest, System.nanoTime() - start);
                Thread.sleep(100);
            }
            assertTrue(slowest < 1_000_000_000L, "info guest took " + slowest / 1_000_000 + " ms");
            long start = System.nanoTime();
            assertEquals(List.of(), source.command("migrate_cancel"));
            assertTrue(System.nanoTime() - start < 1_000_000_000L, "migrate_cancel waited");
            LiveMigrationRig.awaitStatus(source, s -> s.startsWith("Migration status: cancelled"), java.time.Duration.ofSeconds(30));
        }
    }

    @Test
    void aRawDiskWithoutFormatIsProbedWithAWarning(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.raw");
        assertEquals(0, FerryImage.run(60, "img", "create", "-f", "raw", disk.toString(), "4M").exitCode());
        try (FerryProcess vm = FerryProcess.start("vm", dir, Files.createDirectory(dir.resolve("logs")), "--disk", disk.toString())) {
            assertEquals("VM status: running", vm.answer("info status"));
            assertTrue(vm.stderr().contains("ferry: warning: image format was not specified for '" + disk
                    + "' and probing guessed raw"), vm.stderr());
            assertEquals(0, vm.quit());
        }
    }

    @Test
    void incrementalCopyOfADiskWithoutBackingIsRefusedBeforeItStarts(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.raw");
        assertEquals(0, FerryImage.run(60, "img", "create", "-f", "raw", disk.toString(), "4M").exitCode());
        try (FerryProcess vm = FerryProcess.start("vm", dir, Files.createDirectory(dir.resolve("logs")),
                "--disk", disk + ",format=raw")) {
            String answer = vm.answer("migrate -d -i tcp:127.0.0.1:1");
            assertTrue(answer.startsWith("migrate: -i copies a drive's top layer") && answer.contains("copy it in full with -b"), answer);
            assertEquals("Migration status: none", vm.infoLine("migrate", "Migration status:"));
            assertFalse(vm.stderr().contains("\tat "), vm.stderr());
            assertEquals(0, vm.quit());
        }
    }
}
