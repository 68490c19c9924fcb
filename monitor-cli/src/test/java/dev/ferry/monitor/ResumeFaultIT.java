package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume end to end with real processes ({@code --machine none}): the link of a storage copy is
 * cut at half the disk; the destination, started with {@code --incoming URI,resume=on}, keeps its
 * image and waits; the source goes precopy-paused with its workload still writing, and
 * {@code migrate -r URI} finishes the copy over a new link carrying only the rest and what was
 * written meanwhile. A source killed while paused leaves the destination's older image marked.
 */
class ResumeFaultIT {

    private static final long DISK = LiveMigrationRig.DISK_BYTES;
    private static final Duration OUTCOME = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void cutCopyResumesWithMigrateR() throws Exception {
        try (CutCopy run = CutCopy.start(dir, "resume", "", "1M", 41)) {
            FerryProcess source = run.source();
            FerryProcess destination = run.destination();
            long cutAt = run.cutHalfway();

            String paused = LiveMigrationRig.awaitStatus(source, s -> s.startsWith("Migration status: precopy-paused"), OUTCOME);
            assertTrue(paused.matches("Migration status: precopy-paused \\(.*reset.*\\)"), paused); // why, in one line
            assertEquals("VM status: running", source.answer("info status"));
            LiveMigrationRig.assertWrites(source); // the guest runs on, its writes tracked
            LiveMigrationRig.awaitStatus(destination, s -> s.startsWith("Migration status: precopy-paused"), OUTCOME);
            assertTrue(destination.stderr().contains("ferry: precopy-paused ("), destination.stderr());

            try (TcpCutter second = TcpCutter.to(destination.incomingUri())) {
                assertEquals(List.of(), source.command("migrate_set_speed 1G"));
                assertEquals(List.of(), source.command("migrate -d -r " + second.uri()));
                String status = LiveMigrationRig.awaitStatus(source, s -> !s.matches("Migration status: (precopy-.*|active|device)"),
                        OUTCOME);
                assertEquals("Migration status: completed", status, () -> source.stderr() + destination.stderr());
                System.out.printf(Locale.ROOT, "resume e2e: %d of %d bytes before the cut (%.2f), %d on the resumed link (%.2f)%n",
                        cutAt, DISK, (double) cutAt / DISK, second.forwarded(), (double) second.forwarded() / DISK);
            }
            awaitRunning(destination);
            LiveMigrationRig.assertVerified(destination); // every write the source's workload made arrived
            assertEquals(0, destination.quit(), destination.stderr());
            assertEquals(0, source.quit(), source.stderr());
        }
    }

    /**
     * The same cut, driven over QMP as a management tool would: {@code query-migrate} shows the
     * pause and {@code migrate} with {@code resume: true} goes on; asked while nothing is paused,
     * it is refused with a GenericError of one line.
     */
    @Test
    void cutCopyResumesOverQmp() throws Exception {
        int port = QmpClient.freePort();
        try (CutCopy run = CutCopy.start(dir, "qmp", "", "1M", 53, "--qmp", "tcp:127.0.0.1:" + port + ",server,nowait");
             Socket socket = new Socket("127.0.0.1", port)) {
            FerryProcess source = run.source();
            FerryProcess destination = run.destination();
            QmpClient qmp = new QmpClient(socket);
            qmp.execute("{\"execute\":\"qmp_capabilities\"}");
            JsonNode early = qmp.ask(resume("tcp:127.0.0.1:1"));
            assertEquals("GenericError", early.path("error").path("class").asText(), early.toString());
            String desc = early.path("error").path("desc").asText();
            assertTrue(desc.contains("no migration is precopy-paused") && desc.lines().count() == 1, desc);

            run.cutHalfway();
            assertEquals("precopy-paused", awaitMigrateStatus(qmp, s -> !s.equals("setup") && !s.equals("active")));
            assertEquals("running", qmp.ask("{\"execute\":\"query-status\"}").path("return").path("status").asText());
            LiveMigrationRig.awaitStatus(destination, s -> s.startsWith("Migration status: precopy-paused"), OUTCOME);

            try (TcpCutter second = TcpCutter.to(destination.incomingUri())) {
                qmp.execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":1073741824}}");
                assertEquals("{\"return\":{}}", qmp.ask(resume(second.uri())).toString());
                String status = awaitMigrateStatus(qmp, s -> !s.matches("precopy-.*|active|device"));
                assertEquals("completed", status, () -> source.stderr() + destination.stderr());
                assertTrue(second.forwarded() > 0, "the resumed link carried nothing");
            }
            awaitRunning(destination);
            LiveMigrationRig.assertVerified(destination);
            assertEquals(0, destination.quit(), destination.stderr());
            assertEquals(0, source.quit(), source.stderr());
        }
    }

    @Test
    void resumeNeedsAPausedMigration() throws Exception {
        Path logs = Files.createDirectory(dir.resolve("logs"));
        Path sourceDisk = Files.createDirectory(dir.resolve("source")).resolve("disk.img");
        LiveMigrationRig.fillRandom(sourceDisk, DISK, 43);
        try (FerryProcess source = FerryProcess.start("resume-nothing", sourceDisk.getParent(), logs,
                "--disk", sourceDisk + ",format=raw", "--workload-rate", "0")) {
            assertEquals(List.of("resume: no migration is precopy-paused"), source.command("migrate -r tcp:127.0.0.1:1"));
        }
    }

    @Test
    void sourceKilledWhilePausedLeavesTheOlderImageMarked() throws Exception {
        Path image = Files.createDirectories(dir.resolve("destination")).resolve("disk.img");
        try (RandomAccessFile old = new RandomAccessFile(image.toFile(), "rw")) {
            old.setLength(DISK);
            old.write("an older disk".getBytes());
        }
        try (CutCopy run = CutCopy.start(dir, "killed", ",overwrite=on", "0", 47)) {
            FerryProcess source = run.source();
            FerryProcess destination = run.destination();
            run.cutHalfway();
            LiveMigrationRig.awaitStatus(source, s -> s.startsWith("Migration status: precopy-paused"), OUTCOME);
            source.kill();
            try {
                LiveMigrationRig.awaitStatus(destination, s -> s.startsWith("Migration status: precopy-paused"), OUTCOME);
            } catch (java.io.IOException e) {
                throw new AssertionError("the destination stopped waiting: " + destination.stderr(), e);
            }
            assertEquals(0, destination.quit(), destination.stderr());
            assertFalse(destination.stderr().contains("incoming migration done"), destination.stderr());
        }
        FerryImage.Result info = FerryImage.run(60, "img", "info", image.toString());
        assertTrue(info.stdout().contains("incomplete: yes, incomplete since "), info.stdout() + info.stderr());
    }

    /**
     * A destination waiting with {@code resume=on} in {@code root/destination}, a source with a
     * 64 MiB random disk in {@code root/source} migrating to it at 16 MiB/s through a cutter.
     */
    private record CutCopy(FerryProcess destination, FerryProcess source, TcpCutter cutter) implements AutoCloseable {

        static CutCopy start(Path root, String name, String destinationDiskOptions, String workloadRate, long seed,
                String... sourceOptions) throws Exception {
            Path logs = Files.createDirectories(root.resolve("logs"));
            Path sourceDisk = Files.createDirectories(root.resolve("source")).resolve("disk.img");
            Path destinationDir = Files.createDirectories(root.resolve("destination"));
            LiveMigrationRig.fillRandom(sourceDisk, DISK, seed);
            FerryProcess destination = FerryProcess.start(name + "-destination", destinationDir, logs, "--disk",
                    destinationDir.resolve("disk.img") + ",format=raw" + destinationDiskOptions, "--incoming", "tcp:127.0.0.1:0,resume=on");
            FerryProcess source = null;
            try {
                List<String> sourceArgs = new ArrayList<>(List.of("--disk", sourceDisk + ",format=raw", "--workload-rate", workloadRate));
                sourceArgs.addAll(List.of(sourceOptions));
                source = FerryProcess.start(name + "-source", sourceDisk.getParent(), logs, sourceArgs.toArray(String[]::new));
                CutCopy run = new CutCopy(destination, source, TcpCutter.to(destination.incomingUri()));
                assertEquals(List.of(), source.command("migrate_set_speed 16M"));
                assertEquals(List.of(), source.command("migrate -d -b " + run.cutter.uri()));
                return run;
            } catch (Exception | Error e) {
                if (source != null) {
                    source.close();
                }
                destination.close();
                throw e;
            }
        }

        /** Cuts the link once half the disk passed; returns the bytes it passed. */
        long cutHalfway() throws InterruptedException {
            assertTrue(cutter.awaitForwarded(DISK / 2, OUTCOME), "the copy never reached half the disk");
            cutter.cut();
            return cutter.forwarded();
        }

        @Override
        public void close() throws InterruptedException {
            cutter.close();
            source.close();
            destination.close();
        }
    }

    private static String resume(String uri) {
        return "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"" + uri + "\",\"resume\":true}}";
    }

    /** Polls {@code query-migrate} until its status is {@code done}; gives that status. */
    private static String awaitMigrateStatus(QmpClient qmp, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + OUTCOME.toNanos();
        String status;
        while (!done.test(status = qmp.ask("{\"execute\":\"query-migrate\"}").path("return").path("status").asText())
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return status;
    }

    private static void awaitRunning(FerryProcess process) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String status;
        while (!(status = process.answer("info status")).equals("VM status: running") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("VM status: running", status, process.name());
    }
}
