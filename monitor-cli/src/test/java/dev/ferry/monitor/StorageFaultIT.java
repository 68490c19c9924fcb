package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage correctness between two real {@code ferry run --machine none} processes: every way the
 * destination's drives can disagree with the source's is refused in the CONFIG stage (or, for an
 * image changed behind the copy's back, at the final check), the source's {@code info migrate}
 * names the destination's reason in one line, the source runs on, the destination runs nothing
 * and removes what it created. The destination's images are compared with qemu-img where a copy
 * completes.
 */
class StorageFaultIT {

    private static final long DISK_BYTES = 16L << 20;
    private static final Duration OUTCOME = Duration.ofSeconds(60);
    private static final AtomicInteger PROCESSES = new AtomicInteger();

    @TempDir
    Path work;
    private Path source;
    private Path destination;
    private Path logs;

    @BeforeEach
    void logs() throws IOException {
        logs = Files.createDirectory(work.resolve("logs"));
    }

    /** Fresh source and destination directories for one run. */
    private void fresh(int run) throws IOException {
        source = Files.createDirectories(work.resolve("run" + run).resolve("source"));
        destination = Files.createDirectories(work.resolve("run" + run).resolve("destination"));
    }

    @AfterAll
    static void summary() {
        FaultSummary.write();
    }

    /** issue 20: vda not copied and missing on the destination; before, the source completed and the VM was lost. */
    @Test
    void aMissingDriveTheCopyDoesNotCarryIsRefusedAndTheSourceRuns() throws Exception {
        FaultSummary.repeat("storage: drive not copied, missing on the destination", FaultSummary.runs(), run -> {
            fresh(run);
            Path vda = random("vda.raw", run);
            Path vdb = qcow2(source.resolve("vdb.qcow2"));
            refused("migrate -d -b --drives vdb", List.of("--disk", vda + ",format=raw", "--disk", vdb.toString()),
                    List.of("--disk", destination.resolve("vda.raw") + ",format=raw", "--disk", destination.resolve("vdb.qcow2").toString()),
                    "drive vda: " + destination.resolve("vda.raw") + " does not exist, and the migration does not copy this drive");
        });
    }

    /** issue 20 and 16: a stale vda (another file) used as it is; before, the destination ran on it. */
    @Test
    void aDriveTheCopyDoesNotCarryMustBeTheSourcesFile() throws Exception {
        FaultSummary.repeat("storage: drive not copied, another file on the destination", FaultSummary.runs(), run -> {
            fresh(run);
            Path vda = random("vda.raw", run);
            Path stale = Files.copy(vda, destination.resolve("vda.raw"));
            flip(stale, 4096);
            String reason = "drive vda: " + stale + " is not the source's image, and the migration does not copy this drive";
            refused("migrate -d", List.of("--disk", vda + ",format=raw"), List.of("--disk", stale + ",format=raw"), reason);
            assertTrue(Files.exists(stale), "an image the destination did not create stays");
        });
    }

    /** The same file on both sides (shared storage on one host) is used as it is, and the workload carries on. */
    @Test
    void theSourcesOwnFileIsUsedAsItIs() throws Exception {
        FaultSummary.repeat("storage: drive not copied, the same file on both sides", FaultSummary.runs(), run -> {
            fresh(run);
            Path vda = random("vda.raw", run);
            try (FerryProcess src = start(source, "--disk", vda + ",format=raw", "--workload-rate", "1M");
                 FerryProcess dst = start(destination, "--disk", vda + ",format=raw", "--incoming", "tcp:127.0.0.1:0")) {
                LiveMigrationRig.assertWrites(src);
                assertEquals(List.of(), src.command("migrate -d " + dst.incomingUri()));
                assertEquals("Migration status: completed", LiveMigrationRig.awaitStatus(src, StorageFaultIT::done, OUTCOME),
                        () -> src.stderr() + dst.stderr());
                assertEquals("VM status: running", dst.answer("info status"));
                assertTrue(dst.answer("guest_verify").startsWith("vda: verify ok"));
                assertEquals(0, dst.quit(), dst.stderr());
            }
        });
    }

    /** issue 20: a byte flipped at 524288 of the destination's backing file slipped past the sampled check. */
    @Test
    void aBackingFileDifferingInOneByteIsRefusedWithTheRange() throws Exception {
        FaultSummary.repeat("storage: -i, backing file differs in one byte", FaultSummary.runs(), run -> {
            fresh(run);
            Path base = random("base.raw", run);
            Path overlay = source.resolve("vda.qcow2");
            img("create", "-f", "qcow2", "-b", base.toString(), overlay.toString());
            Path baseCopy = Files.copy(base, destination.resolve("base.raw"));
            flip(baseCopy, 524288);
            refused("migrate -d -i", List.of("--disk", overlay.toString()),
                    List.of("--disk", destination.resolve("vda.qcow2") + ",backing=" + baseCopy),
                    "drive vda: backing file " + baseCopy + " differs from the source's in bytes 0..1048575 (1 of 16 regions");
            assertEquals(List.of(baseCopy), LiveMigrationRig.images(destination));
        });
    }

    /** issue 20: an overlay already holding data was accepted, and the copy came out different. */
    @Test
    void anOverlayHoldingDataIsRefusedUnlessOverwriteIsSaid() throws Exception {
        FaultSummary.repeat("storage: -i into an overlay holding data", FaultSummary.runs(), run -> {
            fresh(run);
            Path base = random("base.raw", run);
            Path overlay = source.resolve("vda.qcow2");
            img("create", "-f", "qcow2", "-b", base.toString(), overlay.toString());
            Path baseCopy = Files.copy(base, destination.resolve("base.raw"));
            Path target = destination.resolve("vda.qcow2");
            img("create", "-f", "qcow2", "-b", baseCopy.toString(), target.toString());
            write(source, overlay);
            write(destination, target);
            refused("migrate -d -i", List.of("--disk", overlay.toString()), List.of("--disk", target + ",backing=" + baseCopy),
                    "drive vda: destination image " + target + " already holds data (bytes ");
            completes("migrate -d -i", List.of("--disk", overlay.toString()),
                    List.of("--disk", target + ",backing=" + baseCopy + ",overwrite=on"), overlay, target);
        });
    }

    /** A full copy never lands on an image holding data that Ferry did not create, unless told. */
    @Test
    void aFullCopyOntoAnImageHoldingDataIsRefusedUnlessOverwriteIsSaid() throws Exception {
        FaultSummary.repeat("storage: -b onto an image holding data", FaultSummary.runs(), run -> {
            fresh(run);
            Path vda = random("vda.raw", run);
            Path target = Files.copy(random("other.raw", run + 100), destination.resolve("vda.raw"));
            Files.delete(source.resolve("other.raw"));
            refused("migrate -d -b", List.of("--disk", vda + ",format=raw"), List.of("--disk", target + ",format=raw"),
                    "drive vda: destination image " + target + " already holds data (bytes 0..");
            completes("migrate -d -b", List.of("--disk", vda + ",format=raw"), List.of("--disk", target + ",format=raw,overwrite=on"),
                    vda, target);
        });
    }

    /** issue 20: a byte changed in the destination's image after it arrived gave 'completed' and a mismatch. */
    @Test
    void aByteChangedInTheDestinationImageDuringTheCopyIsCaught() throws Exception {
        FaultSummary.repeat("storage: destination image changed from outside during the copy", FaultSummary.runs(), run -> {
            fresh(run);
            Path vda = random("vda.raw", run);
            Path target = destination.resolve("vda.raw");
            try (FerryProcess src = start(source, "--disk", vda + ",format=raw", "--workload-rate", "0");
                 FerryProcess dst = start(destination, "--disk", target + ",format=raw", "--incoming", "tcp:127.0.0.1:0")) {
                assertEquals(List.of(), src.command("migrate_set_speed 4M"));
                assertEquals(List.of(), src.command("migrate -d -b " + dst.incomingUri()));
                awaitCopied(target, vda, 1 << 20);
                flip(target, 1000);
                String status = LiveMigrationRig.awaitStatus(src, StorageFaultIT::done, OUTCOME);
                assertTrue(status.startsWith("Migration status: failed (") && status.contains("the destination refused the migration: ")
                        && status.contains("drive vda: destination image " + target + " does not match the source"), status);
                assertSourceRuns(src);
                assertDestinationRefused(dst);
            }
        });
    }

    /** issue 16: -i on a disk without backing file is refused by the monitor, before anything starts. */
    @Test
    void incrementalWithoutBackingFileIsRefusedAtOnce() throws Exception {
        fresh(0);
        Path vda = random("vda.raw", 0);
        try (FerryProcess src = start(source, "--disk", vda + ",format=raw")) {
            List<String> answer = src.command("migrate -d -i tcp:127.0.0.1:9");
            assertEquals(List.of("migrate: -i copies a drive's top layer, and drive vda (" + vda
                    + ") has no backing file: copy it in full with -b"), answer);
            assertEquals("VM status: running", src.answer("info status"));
            assertEquals(0, src.quit(), src.stderr());
        }
    }

    /** Runs the migration into a destination that must refuse with {@code reason}: the source names it and runs on. */
    private void refused(String migrate, List<String> sourceArgs, List<String> destinationArgs, String reason) throws Exception {
        List<Path> before = LiveMigrationRig.images(destination);
        try (FerryProcess src = start(source, concat(sourceArgs, "--workload-rate", "1M"));
             FerryProcess dst = start(destination, concat(destinationArgs, "--incoming", "tcp:127.0.0.1:0"))) {
            LiveMigrationRig.assertWrites(src);
            assertEquals(List.of(), src.command(migrate + " " + dst.incomingUri()));
            String status = LiveMigrationRig.awaitStatus(src, StorageFaultIT::done, OUTCOME);
            assertTrue(status.startsWith("Migration status: failed (setup: the destination refused the migration: ")
                    && status.contains(reason), status + "\n" + dst.stderr());
            assertSourceRuns(src);
            assertDestinationRefused(dst);
            assertTrue(dst.stderr().contains(reason), dst.stderr());
            assertEquals(0, src.quit(), src.stderr());
        }
        assertEquals(before, LiveMigrationRig.images(destination), "the destination created images and left them");
    }

    /** Lets a workload write to {@code image} for a moment. */
    private void write(Path dir, Path image) throws Exception {
        try (FerryProcess writer = start(dir, "--disk", image.toString(), "--workload-rate", "4M")) {
            LiveMigrationRig.assertWrites(writer);
            assertEquals(0, writer.quit(), writer.stderr());
        }
    }

    /**
     * Runs the migration of an idle VM to completion and compares the images with qemu-img once
     * both sides quit (an idle VM, so neither side writes after the switch).
     */
    private void completes(String migrate, List<String> sourceArgs, List<String> destinationArgs, Path image, Path copy)
            throws Exception {
        try (FerryProcess src = start(source, concat(sourceArgs, "--workload-rate", "0"));
             FerryProcess dst = start(destination, concat(destinationArgs, "--incoming", "tcp:127.0.0.1:0"))) {
            assertEquals(List.of(), src.command(migrate + " " + dst.incomingUri()));
            assertEquals("Migration status: completed", LiveMigrationRig.awaitStatus(src, StorageFaultIT::done, OUTCOME),
                    () -> src.stderr() + dst.stderr());
            assertEquals(0, src.quit(), src.stderr());
            assertEquals(0, dst.quit(), dst.stderr());
        }
        assertQemuImgIdentical(image, copy);
    }

    /** {@code qemu-img compare} (a checker nobody in this project wrote) says the guest sees the same bytes. */
    private static void assertQemuImgIdentical(Path image, Path copy) throws Exception {
        Process compare;
        try {
            compare = new ProcessBuilder("qemu-img", "compare", image.toString(), copy.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("qemu-img is not installed: " + e.getMessage());
            return;
        }
        String output = new String(compare.getInputStream().readAllBytes());
        assertEquals(0, compare.waitFor(), output);
        assertTrue(output.contains("Images are identical"), output);
    }

    private static boolean done(String status) {
        return !status.matches("Migration status: (setup|active|device)");
    }

    private static void assertSourceRuns(FerryProcess src) throws IOException, InterruptedException {
        assertEquals("VM status: running", src.answer("info status"));
        assertTrue(src.command("info block").stream().allMatch(line -> line.endsWith("dirty tracking off")));
        assertTrue(src.answer("guest_verify").contains("verify ok"));
    }

    private static void assertDestinationRefused(FerryProcess dst) throws InterruptedException {
        assertEquals(1, dst.awaitExit(OUTCOME), dst.stderr());
        String stderr = dst.stderr();
        assertEquals(1, stderr.lines().filter(l -> l.startsWith("ferry: incoming migration failed: ")).count(), stderr);
        assertFalse(stderr.contains("Exception") || stderr.contains("Already closed"), stderr);
    }

    /** Waits until the destination image holds the source's first {@code bytes}. */
    private static void awaitCopied(Path target, Path image, int bytes) throws Exception {
        byte[] expected = new byte[bytes];
        try (RandomAccessFile in = new RandomAccessFile(image.toFile(), "r")) {
            in.readFully(expected);
        }
        long deadline = System.nanoTime() + OUTCOME.toNanos();
        byte[] got = new byte[bytes];
        while (System.nanoTime() < deadline) {
            if (Files.exists(target) && Files.size(target) >= bytes) {
                try (RandomAccessFile in = new RandomAccessFile(target.toFile(), "r")) {
                    in.readFully(got);
                }
                if (java.util.Arrays.equals(expected, got)) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the destination never held the first " + bytes + " bytes");
    }

    private Path random(String name, long seed) throws IOException {
        Path file = source.resolve(name);
        LiveMigrationRig.fillRandom(file, DISK_BYTES, seed * 7 + 1);
        return file;
    }

    private static Path qcow2(Path path) throws Exception {
        img("create", "-f", "qcow2", path.toString(), Long.toString(DISK_BYTES));
        return path;
    }

    private static void img(String... args) throws Exception {
        FerryImage.Result result = FerryImage.run(60, concat(List.of("img"), args).toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.stderr());
    }

    private FerryProcess start(Path dir, String... args) throws IOException {
        return FerryProcess.start((dir == source ? "source" : "destination") + PROCESSES.incrementAndGet(), dir, logs, args);
    }

    private FerryProcess start(Path dir, List<String> args) throws IOException {
        return start(dir, args.toArray(String[]::new));
    }

    private static List<String> concat(List<String> first, String... more) {
        return java.util.stream.Stream.concat(first.stream(), java.util.stream.Stream.of(more)).toList();
    }

    static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            int b = raf.read();
            raf.seek(offset);
            raf.write(b ^ 0xff);
        }
    }
}
