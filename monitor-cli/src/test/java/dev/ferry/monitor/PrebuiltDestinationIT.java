package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.demo.Patience;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A KVM destination without drives builds its machine from its own command line before it
 * listens; the source's configuration is still judged against that machine. A source of another
 * memory size is refused in one line, keeps running, and the destination never runs the VM; a
 * destination of the same shape takes the source's VM into the machine it built and runs it.
 */
@Tag("kvm")
class PrebuiltDestinationIT {

    private static final Duration OUTCOME_TIMEOUT = Patience.seconds(60);
    private static final String UNFINISHED = "Migration status: (setup|active|device)";

    @Test
    void aMachineBuiltAheadRefusesAnotherShapeAndTakesTheSameOne(@TempDir Path dir) throws Exception {
        KvmHost.assumeKvm();
        Path logs = Files.createDirectories(dir.resolve("logs"));
        try (FerryProcess source = FerryProcess.start("kvm", "source", Files.createDirectories(dir.resolve("source")), logs,
                "-m", "64M")) {
            try (FerryProcess smaller = FerryProcess.start("kvm", "destination-32M", Files.createDirectories(dir.resolve("smaller")),
                    logs, "-m", "32M", "--incoming", "tcp:127.0.0.1:0")) {
                assertEquals(List.of(), source.command("migrate -d " + smaller.incomingUri()));
                String status = LiveMigrationRig.awaitStatus(source, s -> !s.matches(UNFINISHED), OUTCOME_TIMEOUT);
                assertTrue(status.startsWith("Migration status: failed"), status);
                assertEquals("VM status: running", source.answer("info status"));
                assertEquals(1, smaller.awaitExit(OUTCOME_TIMEOUT), smaller.stderr());
                String refusal = smaller.stderr();
                assertTrue(refusal.contains("ferry: incoming migration failed: ") && refusal.contains("memoryBytes differs"), refusal);
                assertFalse(refusal.contains("incoming migration done"), refusal);
            }
            try (FerryProcess same = FerryProcess.start("kvm", "destination-64M", Files.createDirectories(dir.resolve("same")),
                    logs, "-m", "64M", "--incoming", "tcp:127.0.0.1:0")) {
                assertEquals(List.of(), source.command("migrate -d " + same.incomingUri()));
                String status = LiveMigrationRig.awaitStatus(source, s -> !s.matches(UNFINISHED), OUTCOME_TIMEOUT);
                assertEquals("Migration status: completed", status, () -> source.stderr() + same.stderr());
                LiveMigrationRig.awaitRunning(same);
                assertEquals(0, same.quit(), same.stderr());
            }
            assertEquals(0, source.quit(), source.stderr());
        }
    }
}
