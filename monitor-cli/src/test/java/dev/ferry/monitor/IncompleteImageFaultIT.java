package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A destination image that existed before (it held data) and a source killed in the middle of the
 * disk copy: the destination exits 1 and leaves the image marked incomplete; {@code ferry img info}
 * says so, {@code ferry run} refuses it, and a second migration into it clears the mark.
 */
class IncompleteImageFaultIT {

    private static final Duration OUTCOME = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @AfterAll
    static void summary() {
        FaultSummary.write();
    }

    /** The bulk pass has sent disk data (a loaded machine may sit in setup for seconds). */
    private static void awaitCopying(FerryProcess source) throws Exception {
        long deadline = System.nanoTime() + OUTCOME.toNanos();
        String disk = "";
        while (System.nanoTime() < deadline) {
            disk = source.infoLine("migrate", "disk vda:");
            if (disk.startsWith("disk vda: bulk,") && !disk.contains("transferred 0 B")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the disk copy never started: " + disk);
    }

    @Test
    void killedSourceLeavesMarkedImageUntilRetrySucceeds() throws Exception {
        FaultSummary.repeat("source SIGKILL, existing destination image marked", FaultSummary.runs(), run -> {
            Path root = Files.createDirectory(dir.resolve("run" + run));
            Path logs = Files.createDirectory(root.resolve("logs"));
            Path sourceDir = Files.createDirectory(root.resolve("source"));
            Path destinationDir = Files.createDirectory(root.resolve("destination"));
            Path sourceDisk = sourceDir.resolve("disk.img");
            Path image = destinationDir.resolve("disk.img");
            Path mark = destinationDir.resolve("disk.img.ferry-incomplete");
            LiveMigrationRig.fillRandom(sourceDisk, LiveMigrationRig.DISK_BYTES, 23 + run);
            try (RandomAccessFile old = new RandomAccessFile(image.toFile(), "rw")) {
                old.setLength(LiveMigrationRig.DISK_BYTES); // an image that was there before, data of its own
                old.write("an older disk".getBytes());
            }
            // overwrite=on: the operator lets the copy replace the older disk (without it the
            // destination refuses the image in the CONFIG stage, before anything is written).
            String[] destinationArgs = {"--disk", image + ",format=raw,overwrite=on", "--incoming", "tcp:127.0.0.1:0"};
            try (FerryProcess destination = FerryProcess.start("mark-destination", destinationDir, logs, destinationArgs);
                 FerryProcess source = FerryProcess.start("mark-source", sourceDir, logs, "--disk", sourceDisk + ",format=raw",
                         "--workload-rate", "0")) {
                assertEquals(List.of(), source.command("migrate_set_speed 16M"));
                assertEquals(List.of(), source.command("migrate -d -b " + destination.incomingUri()));
                awaitCopying(source);
                Thread.sleep(1000); // the destination writes what arrived
                source.kill();
                assertEquals(1, destination.awaitExit(OUTCOME), destination.stderr());
                assertTrue(destination.stderr().contains("ferry: incoming migration failed: "), destination.stderr());
            }
            assertTrue(Files.exists(image) && Files.exists(mark), "the image and its mark stay: " + LiveMigrationRig.list(destinationDir));
            FerryImage.Result info = FerryImage.run(60, "img", "info", image.toString());
            assertTrue(info.stdout().contains("incomplete: yes, incomplete since ") && info.stdout().contains("incoming migration failed"),
                    info.stdout() + info.stderr());
            FerryImage.Result refused = FerryImage.run(60, "run", "--machine", "none", "--monitor", "none", "--serial", "none",
                    "--disk", image + ",format=raw");
            assertEquals(1, refused.exitCode(), refused.stderr());
            assertTrue(refused.stderr().contains("incomplete since") && refused.stderr().contains("migrate into it again"), refused.stderr());

            try (FerryProcess destination = FerryProcess.start("retry-destination", destinationDir, logs, destinationArgs);
                 FerryProcess source = FerryProcess.start("retry-source", sourceDir, logs, "--disk", sourceDisk + ",format=raw",
                         "--workload-rate", "0")) {
                assertEquals(List.of(), source.command("migrate -d -b " + destination.incomingUri()));
                String status = LiveMigrationRig.awaitStatus(source, s -> !s.matches("Migration status: (setup|active|device)"), OUTCOME);
                assertEquals("Migration status: completed", status, destination::stderr);
                assertEquals("VM status: running", destination.answer("info status"));
                assertFalse(Files.exists(mark), "a successful migration clears the mark");
            }
        });
    }
}
