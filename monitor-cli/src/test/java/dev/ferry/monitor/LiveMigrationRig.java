package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.demo.Patience;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A source and a destination {@code ferry run --machine none} (or {@code kvm}, the built-in guest
 * with 16 MiB of RAM, rewriting 256 KiB of it a second) in directories of their own (plus one for their stderr logs), the source's
 * 64 MiB raw disk full of random data and written by the host workload or the guest, and the checks every fault must pass afterwards. The copy is slowed to 16 MiB/s
 * so a test can act during the bulk pass, and the workload writes fast enough to force dirty passes
 * (natively; see {@link #diskWriteRate()}).
 */
final class LiveMigrationRig implements AutoCloseable {

    static final long DISK_BYTES = 64L << 20;
    private static final String COPY_SPEED = "16M";
    private static final Duration OUTCOME_TIMEOUT = Patience.seconds(60);

    private final String machine;
    private final Path sourceDir;
    private final Path destinationDir;
    private final Path logs;
    private final Path sourceDisk;
    private final Path destinationDisk;
    private long seed;
    private int processes;
    private FerryProcess source;
    private FerryProcess destination;
    private TcpCutter cutter;
    private final PhaseLog phases;

    private LiveMigrationRig(String machine, Path root, long seed) throws IOException {
        this.machine = machine;
        this.sourceDir = Files.createDirectory(root.resolve("source"));
        this.destinationDir = Files.createDirectory(root.resolve("destination"));
        this.logs = Files.createDirectory(root.resolve("logs"));
        this.sourceDisk = sourceDir.resolve("disk.img");
        this.destinationDisk = destinationDir.resolve("disk.img");
        this.seed = seed;
        this.phases = new PhaseLog(machine + " rig " + root.getFileName());
        fillRandom(sourceDisk, DISK_BYTES, seed);
        phases.mark("source disk filled");
    }

    /** Both processes started, the destination listening. */
    static LiveMigrationRig start(Path root, long seed) throws IOException, InterruptedException {
        return start("none", root, seed);
    }

    /** As {@link #start(Path, long)} on {@code --machine machine}. */
    static LiveMigrationRig start(String machine, Path root, long seed) throws IOException, InterruptedException {
        LiveMigrationRig rig = new LiveMigrationRig(machine, root, seed);
        try {
            rig.source = rig.startSource();
            rig.destination = rig.startDestination();
            rig.phases.mark("destination listening (both JVMs started)");
            rig.source.command("info status");
            rig.phases.mark("source monitor answers");
            return rig;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            rig.close();
            throw e;
        }
    }

    FerryProcess source() {
        return source;
    }

    FerryProcess destination() {
        return destination;
    }

    PhaseLog phases() {
        return phases;
    }

    TcpCutter cutter() {
        return cutter;
    }

    private FerryProcess startSource() throws IOException {
        List<String> args = new ArrayList<>(memory());
        args.addAll(List.of("--disk", sourceDisk + ",format=raw", "--workload-rate", diskWriteRate(), "--seed", Long.toString(seed++)));
        return FerryProcess.start(machine, "source" + ++processes, sourceDir, logs, args.toArray(String[]::new));
    }

    /**
     * The guest's RAM. The built-in guest's is the least a machine takes, rewritten slowly: only the
     * disk's copy is paced here, and in CI's nested VM the default 4 MiB/s of rewrites is about
     * what a migration can send there, so each pass found nearly as much to send again.
     */
    private List<String> memory() {
        return machine.equals("kvm") ? List.of("-m", "16M", "--workload-mem-rate", "256K") : List.of("-m", "64M");
    }

    /**
     * How fast the disk is written. Natively 4 MiB/s forces dirty passes. In CI's nested VM, where a
     * migration sends about 2 MB/s, 4 MiB/s made the retry after a fault send the disk 1.75 times
     * over; the kvm cases act at 50 % of the bulk copy and need writes only to show a live guest.
     */
    private String diskWriteRate() {
        return machine.equals("kvm") ? "1M" : "4M";
    }

    private FerryProcess startDestination() throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(memory());
        args.addAll(List.of("--disk", destinationDisk + ",format=raw", "--incoming", "tcp:127.0.0.1:0"));
        FerryProcess started = FerryProcess.start(machine, "destination" + ++processes, destinationDir, logs, args.toArray(String[]::new));
        started.incomingUri();
        return started;
    }

    /**
     * Starts the slowed full-disk migration through a {@link TcpCutter} that holds the stream at
     * the source's first END frame, so the migration cannot complete before the test acts.
     */
    void migrateThroughCutter() throws IOException, InterruptedException {
        cutter = TcpCutter.to(destination.incomingUri());
        cutter.holdAt(0x12);
        assertEquals(List.of(), source.command("migrate_set_speed " + COPY_SPEED));
        assertEquals(List.of(), source.command("migrate -d -b " + cutter.uri()));
    }

    /** The source's {@code info migrate} status line once it matches {@code done}. */
    static String awaitStatus(FerryProcess process, Predicate<String> done, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String status = "";
        while (System.nanoTime() < deadline) {
            status = process.infoLine("migrate", "Migration status:");
            if (done.test(status)) {
                return status;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(process.name() + ": migration still '" + status + "' after " + timeout);
    }

    /** The source's disk line of {@code info migrate}, once it matches {@code done}. */
    static String awaitDiskPhase(FerryProcess process, String phase, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String disk = "";
        while (System.nanoTime() < deadline) {
            disk = process.infoLine("migrate", "disk vda:");
            if (disk.startsWith("disk vda: " + phase + ",")) {
                return disk;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(process.name() + ": disk never reached phase " + phase + ", last: " + disk);
    }

    /**
     * The source outlived the fault: the migration ended {@code expectedStatus}, the VM runs and
     * writes, its verification passes, and no write observer is left on its disk.
     */
    void assertSourceRecovered(String expectedStatus) throws IOException, InterruptedException {
        String status = awaitStatus(source, s -> !s.matches("Migration status: (setup|active|device)"), OUTCOME_TIMEOUT);
        phases.mark("source's migration ended: " + status);
        assertTrue(status.startsWith("Migration status: " + expectedStatus), status);
        assertEquals("VM status: running", source.answer("info status"));
        String block = source.answer("info block");
        assertTrue(block.endsWith("dirty tracking off"), block);
        assertWrites(source);
        phases.mark("source writes");
        assertVerified(source);
        phases.mark("source verified");
    }

    /** The destination refused to run the VM: exit status 1, one clear line, its image gone. */
    void assertDestinationRefused() throws IOException, InterruptedException {
        int status = destination.awaitExit(OUTCOME_TIMEOUT);
        phases.mark("destination exited");
        String stderr = destination.stderr();
        assertEquals(1, status, stderr);
        assertTrue(stderr.contains("ferry: incoming migration failed: "), stderr);
        assertFalse(stderr.contains("incoming migration done"), stderr);
        assertFalse(stderr.contains("Exception"), stderr);
        assertEquals(List.of(), list(destinationDir), "the destination left files behind");
    }

    /** The killed process's directory holds its image at most, and its stale monitor socket. */
    static void assertOnlyLeft(Path dir, Path... allowed) throws IOException {
        List<Path> left = list(dir);
        assertTrue(List.of(allowed).containsAll(left), "left behind in " + dir + ": " + left);
    }

    Path sourceDir() {
        return sourceDir;
    }

    Path sourceDisk() {
        return sourceDisk;
    }

    Path destinationDir() {
        return destinationDir;
    }

    /** The source died: a new source boots from the same disk (a new workload) for the second attempt. */
    void restartSource() throws IOException {
        source = startSource();
        source.command("info status");
        phases.mark("source restarted, monitor answers");
    }

    /**
     * The second attempt after the fault: a fresh destination on the same paths (a killed one's
     * stale socket included), a full-speed migration that completes, the destination's
     * verification passing, and both processes quitting cleanly without leaving files behind.
     */
    void assertSecondMigrationSucceeds() throws IOException, InterruptedException {
        if (cutter != null) {
            cutter.close();
        }
        destination = startDestination();
        phases.mark("second destination listening");
        assertEquals(List.of(), source.command("migrate_set_speed 1G"));
        assertEquals(List.of(), source.command("migrate -d -b " + destination.incomingUri()));
        String status = awaitStatus(source, s -> !s.matches("Migration status: (setup|active|device)"), OUTCOME_TIMEOUT);
        phases.mark("second migration ended: " + status);
        System.out.println(String.join("\n", source.command("info migrate")));
        assertEquals("Migration status: completed", status, () -> source.stderr() + destination.stderr());
        assertEquals("VM status: paused (postmigrate)", source.answer("info status"));
        assertTrue(source.answer("info block").endsWith("dirty tracking off"));
        // The destination starts once its ACK is out; the source may say completed a moment before.
        awaitRunning(destination);
        phases.mark("destination running");
        assertVerified(destination);
        phases.mark("destination verified");
        assertTrue(source.descendants().isEmpty() && destination.descendants().isEmpty(), "child processes left");
        assertEquals(0, destination.quit(), destination.stderr());
        assertEquals(0, source.quit(), source.stderr());
        phases.mark("both quit");
        assertEquals(List.of(sourceDisk), list(sourceDir));
        assertEquals(List.of(destinationDisk), list(destinationDir));
    }

    static void awaitRunning(FerryProcess process) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String status;
        while (!(status = process.answer("info status")).equals("VM status: running") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("VM status: running", status, process.name());
    }

    /** The workload writes: its block count grows within a few seconds (the machine is shared). */
    static void assertWrites(FerryProcess process) throws IOException, InterruptedException {
        long before = blocksWritten(process);
        long deadline = System.nanoTime() + Patience.seconds(5).toNanos();
        while (blocksWritten(process) == before) {
            assertTrue(System.nanoTime() < deadline, () -> process.name() + "'s workload stopped writing at "
                    + before + " blocks; stderr: " + process.stderr());
            Thread.sleep(50);
        }
    }

    /** The host workload's "vda: verify ok blocks=N", or the built-in guest's "verify ok pages=N blocks=N". */
    static void assertVerified(FerryProcess process) throws IOException {
        String verdict = process.answer("guest_verify");
        assertTrue(verdict.matches("(vda: )?verify ok (pages=[1-9][0-9]* )?blocks=[1-9][0-9]*"), process.name() + ": " + verdict);
    }

    /** From the host workload's "workload vda: ..." or the built-in guest's "pages written N, ..." line. */
    private static long blocksWritten(FerryProcess process) throws IOException {
        String line = process.command("info guest").stream().filter(l -> l.startsWith("workload vda:") || l.startsWith("pages written"))
                .findFirst().orElseThrow(() -> new AssertionError(process.name() + ": info guest shows no blocks written"));
        return Long.parseLong(line.replaceAll(".*blocks written (\\d+),.*", "$1"));
    }

    static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    /**
     * The files in {@code dir} but the monitor socket and a backing file's kept identity
     * (BASE.ferry-identity): a cache Ferry may write beside any backing file it hashed, even for a
     * migration it then refuses.
     */
    static List<Path> images(Path dir) throws IOException {
        return list(dir).stream()
                .filter(p -> !p.endsWith("ferry.sock") && !p.getFileName().toString().endsWith(".ferry-identity")).toList();
    }

    static void fillRandom(Path file, long bytes, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long done = 0; done < bytes; done += buffer.capacity()) {
                buffer.clear();
                while (buffer.hasRemaining()) {
                    buffer.putLong(random.nextLong());
                }
                buffer.flip();
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        }
    }

    /** Kills whatever still runs; fails if a process left a child behind. */
    @Override
    public void close() throws InterruptedException {
        if (cutter != null) {
            cutter.close();
        }
        AssertionError leak = null;
        for (FerryProcess process : new FerryProcess[] {source, destination}) {
            if (process == null) {
                continue;
            }
            try {
                process.close();
            } catch (AssertionError e) {
                leak = e;
            }
        }
        if (leak != null) {
            throw leak;
        }
    }
}
