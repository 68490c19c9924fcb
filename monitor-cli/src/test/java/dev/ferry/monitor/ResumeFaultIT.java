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
import dev.ferry.monitor.demo.Patience;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume end to end with real processes ({@code --machine none}, and {@code kvm} in CI's nested
 * stage): the link of a storage copy is cut at half the disk; the destination, started with
 * {@code --incoming URI,resume=on}, keeps its image (and RAM) and waits; the source goes
 * precopy-paused with its workload still writing, and {@code migrate -r URI} finishes the copy
 * over a new link carrying only the rest of the disk and what was written meanwhile (and all of
 * RAM again). A source killed while paused leaves the destination's older image marked.
 */
class ResumeFaultIT {

    private static final long DISK = LiveMigrationRig.DISK_BYTES;
    private static final Duration OUTCOME = Duration.ofSeconds(90);
    /** The built-in guest's RAM as LiveFaultIT's kvm rig sizes it for the nested VM: the least a machine takes, rewritten slowly. */
    private static final List<String> KVM_GUEST = List.of("-m", "16M", "--workload-mem-rate", "256K");
    /** The kvm case's disk: in the nested VM, on a loaded machine, a migration may send well under 1 MB/s. */
    private static final long KVM_DISK = 16L << 20;

    @TempDir
    Path dir;

    @Test
    void cutCopyResumesWithMigrateR() throws Exception {
        try (CutCopy run = CutCopy.start(dir, "resume", List.of("frame-checksum xxh3"), "", "1M", 41)) {
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
                List<String> report = source.command("info migrate");
                assertTrue(report.contains("frame checksum: XXH3-64 (set by frame-checksum)"), report.toString());
                assertTrue(run.cutter().xxh3Frames() > 0 && second.xxh3Frames() > 0, "both links sealed with XXH3-64: "
                        + run.cutter().xxh3Frames() + " and " + second.xxh3Frames() + " frames");
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
        try (CutCopy run = CutCopy.start(dir, "qmp", List.of(), "", "1M", 53, "--qmp", "tcp:127.0.0.1:" + port + ",server,nowait");
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

    /**
     * The built-in guest ({@code --machine kvm}): RAM pages and a guest writing its disk cross on
     * the first link; after the cut the destination keeps both unstarted, and the resumed link
     * carries the rest of the disk and all of RAM again. The destination then runs the guest, which
     * verifies every page and block it ever wrote, and goes on writing.
     */
    @Test
    @Tag("kvm")
    void guestWithRamResumesAfterACut() throws Exception {
        KvmHost.assumeKvm();
        Duration outcome = Patience.of(OUTCOME);
        try (CutCopy run = CutCopy.start(dir, "kvm", "kvm", KVM_GUEST, KVM_DISK, List.of(), "", "1M", 61)) {
            FerryProcess source = run.source();
            FerryProcess destination = run.destination();
            long cutAt = run.cutHalfway();

            LiveMigrationRig.awaitStatus(source, s -> s.startsWith("Migration status: precopy-paused"), outcome);
            assertEquals("VM status: running", source.answer("info status"));
            LiveMigrationRig.assertWrites(source);
            LiveMigrationRig.awaitStatus(destination, s -> s.startsWith("Migration status: precopy-paused"), outcome);
            assertEquals("VM status: paused (inmigrate)", destination.infoLine("status", "VM status:"));
            long ramBefore = transferred(source, "ram");
            long diskBefore = transferred(source, "disk");
            assertTrue(ramBefore > 0, "no RAM crossed before the cut");

            try (TcpCutter second = TcpCutter.to(destination.incomingUri())) {
                assertEquals(List.of(), source.command("migrate_set_speed 1G"));
                assertEquals(List.of(), source.command("migrate -d -r " + second.uri()));
                String status = LiveMigrationRig.awaitStatus(source, s -> !s.matches("Migration status: (precopy-.*|active|device)"),
                        outcome);
                assertEquals("Migration status: completed", status, () -> source.stderr() + destination.stderr());
                long ramResent = transferred(source, "ram") - ramBefore;
                long diskResent = transferred(source, "disk") - diskBefore;
                System.out.printf(Locale.ROOT, "kvm resume: cut at %d stream bytes (%.2f of the disk); before it ram %d, disk %d bytes;"
                        + " resumed link %d bytes: disk %d (%.2f of the disk), ram %d (%.2f of 16 MiB)%n", cutAt, (double) cutAt / KVM_DISK,
                        ramBefore, diskBefore, second.forwarded(), diskResent, (double) diskResent / KVM_DISK, ramResent,
                        (double) ramResent / (16 << 20));
                assertTrue(ramResent > 0, "the resumed link sent no RAM");
            }
            awaitRunning(destination);
            LiveMigrationRig.assertVerified(destination); // every RAM page and disk block the guest wrote arrived
            LiveMigrationRig.assertWrites(destination); // and the guest runs on there
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
        try (CutCopy run = CutCopy.start(dir, "killed", List.of(), ",overwrite=on", "0", 47)) {
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

    /** The source's {@code transferred ram:} or {@code transferred disk:} figure of {@code info migrate}, in bytes. */
    private static long transferred(FerryProcess source, String what) throws Exception {
        String line = source.infoLine("migrate", "transferred " + what + ":");
        return Long.parseLong(line.replaceAll("transferred " + what + ": (\\d+) kbytes", "$1")) * 1024;
    }

    /**
     * A destination waiting with {@code resume=on} in {@code root/destination}, a source with a
     * 64 MiB random disk in {@code root/source} migrating to it at 16 MiB/s through a cutter, with
     * the migration {@code parameters} (each as {@code migrate_set_parameter} takes them) set first.
     */
    private record CutCopy(FerryProcess destination, FerryProcess source, TcpCutter cutter, long disk, Duration patience)
            implements AutoCloseable {

        static CutCopy start(Path root, String name, List<String> parameters, String destinationDiskOptions, String workloadRate,
                long seed, String... sourceOptions) throws Exception {
            return start(root, name, "none", List.of(), DISK, parameters, destinationDiskOptions, workloadRate, seed, sourceOptions);
        }

        /**
         * As above on {@code --machine machine} with a {@code disk} of that size, and {@code machineOptions}
         * (e.g. the RAM) on both sides; kvm waits as long as {@link Patience} says (the nested VM).
         */
        static CutCopy start(Path root, String name, String machine, List<String> machineOptions, long disk, List<String> parameters,
                String destinationDiskOptions, String workloadRate, long seed, String... sourceOptions) throws Exception {
            Path logs = Files.createDirectories(root.resolve("logs"));
            Path sourceDisk = Files.createDirectories(root.resolve("source")).resolve("disk.img");
            Path destinationDir = Files.createDirectories(root.resolve("destination"));
            LiveMigrationRig.fillRandom(sourceDisk, disk, seed);
            List<String> destinationArgs = new ArrayList<>(machineOptions);
            destinationArgs.addAll(List.of("--disk", destinationDir.resolve("disk.img") + ",format=raw" + destinationDiskOptions,
                    "--incoming", "tcp:127.0.0.1:0,resume=on"));
            FerryProcess destination = FerryProcess.start(machine, name + "-destination", destinationDir, logs,
                    destinationArgs.toArray(String[]::new));
            FerryProcess source = null;
            try {
                destination.incomingUri(); // one JVM starting at a time: in the nested VM two at once take minutes
                List<String> sourceArgs = new ArrayList<>(machineOptions);
                sourceArgs.addAll(List.of("--disk", sourceDisk + ",format=raw", "--workload-rate", workloadRate, "--seed", Long.toString(seed)));
                sourceArgs.addAll(List.of(sourceOptions));
                source = FerryProcess.start(machine, name + "-source", sourceDisk.getParent(), logs, sourceArgs.toArray(String[]::new));
                CutCopy run = new CutCopy(destination, source, TcpCutter.to(destination.incomingUri()), disk,
                        machine.equals("kvm") ? Patience.of(OUTCOME) : OUTCOME);
                assertEquals(List.of(), source.command("migrate_set_speed 16M"));
                for (String parameter : parameters) {
                    assertEquals(List.of(), source.command("migrate_set_parameter " + parameter));
                }
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
            assertTrue(cutter.awaitForwarded(disk / 2, patience), "the copy never reached half the disk");
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
