package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.demo.Patience;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to a destination {@code ferry run --incoming 'exec:cat FILE'}: real streams saved
 * from a source with {@code migrate exec:cat > FILE}, then flipped, truncated, reordered,
 * duplicated, altered under a valid CRC or stamped with another format version; and good streams
 * into a destination whose configuration does not match. Each must end the destination with
 * status 1 and one clear line before the VM could run, its directory as it was before (images it
 * created removed, others untouched).
 */
class BadStreamIT {

    private static final long DISK_BYTES = 16L << 20;
    private static final String FAILED = "ferry: incoming migration failed: ";

    @TempDir
    static Path work;
    private static Path logs;
    private static Path streams;
    private static Path base;
    /** A full copy of a raw disk the workload wrote, saved with the VM paused: every chunk is sent once. */
    private static byte[] full;
    /** An incremental copy of a qcow2 overlay over {@link #base}. */
    private static byte[] incremental;
    private static SavedStream fullFrames;
    /** A full copy of a KVM machine, saved by the first test that needs it. */
    private static byte[] kvm;
    private static SplittableRandom random;
    private static final AtomicInteger PROCESSES = new AtomicInteger();

    @BeforeAll
    static void setUp() throws IOException {
        logs = Files.createDirectory(work.resolve("logs"));
        streams = Files.createDirectory(work.resolve("streams"));
        long seed = Long.getLong("ferry.fault.seed", System.nanoTime());
        System.out.println("bad streams seeded with -Dferry.fault.seed=" + seed);
        random = new SplittableRandom(seed);
    }

    /** The machine-none streams, saved before the first test that needs them (the nested KVM stage runs none). */
    @BeforeEach
    void saveStreams(TestInfo test) throws Exception {
        if (full != null || test.getTags().contains("kvm")) {
            return;
        }
        Path source = Files.createDirectory(work.resolve("source"));
        Path disk = source.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, DISK_BYTES, 1);
        base = source.resolve("base.raw");
        LiveMigrationRig.fillRandom(base, DISK_BYTES, 2);
        Path overlay = source.resolve("overlay.qcow2");
        FerryImage.Result created = FerryImage.run(60, "img", "create", "-f", "qcow2", "-b", base.toString(), overlay.toString());
        assertEquals(0, created.exitCode(), created.stderr());
        full = save(source, disk + ",format=raw", "-b");
        incremental = save(source, overlay.toString(), "-i");
        fullFrames = SavedStream.parse(full);
    }

    @AfterAll
    static void summary() {
        FaultSummary.write();
    }

    /** Lets the workload write, pauses the VM and saves a migration of it to a file. */
    private static byte[] save(Path dir, String disk, String copy) throws Exception {
        Path file = streams.resolve("saved-" + PROCESSES.incrementAndGet() + ".bin");
        try (FerryProcess source = FerryProcess.start("source-" + PROCESSES.get(), dir, logs, "--disk", disk, "--workload-rate", "4M")) {
            LiveMigrationRig.assertWrites(source);
            assertEquals(List.of(), source.command("stop"));
            assertEquals(List.of("Migration status: completed"), source.command("migrate " + copy + " exec:cat > " + file));
            assertEquals(0, source.quit(), source.stderr());
        }
        return Files.readAllBytes(file);
    }

    @Test
    void theSavedStreamsLoadIntact() throws Exception {
        accept(full, fresh(), "disk.img");
        Path dir = fresh();
        Files.copy(base, dir.resolve("base-copy.raw"));
        accept(incremental, dir, "overlay.qcow2,backing=" + dir.resolve("base-copy.raw"));
    }

    @Test
    void randomByteFlipsAreRefused() throws Exception {
        FaultSummary.repeat("stream: a random bit flipped", 4 * FaultSummary.runs(), run -> {
            byte[] bad = full.clone();
            int at = random.nextInt(bad.length);
            bad[at] ^= (byte) (1 << random.nextInt(8));
            System.out.println("bit flipped at byte " + at);
            refused(bad);
        });
    }

    @Test
    void truncationsAreRefused() throws Exception {
        FaultSummary.repeat("stream: truncated at a random offset", 4 * FaultSummary.runs(), run -> {
            int cut = run == 0 ? 0 : random.nextInt(full.length);
            System.out.println("cut at byte " + cut);
            String reason = refused(Arrays.copyOf(full, cut));
            assertTrue(reason.contains("truncated") || reason.contains("stream ended before"), reason);
        });
    }

    @Test
    void reorderedFramesAreRefused() throws Exception {
        FaultSummary.repeat("stream: frames reordered", FaultSummary.runs(), run -> {
            List<SavedStream.Frame> swapped = new ArrayList<>(fullFrames.frames());
            int at = randomPart();
            Collections.swap(swapped, at, at + 1);
            assertTrue(refused(SavedStream.raw(swapped)).contains("sequence"));
            // Renumbered, only the section rules can tell: the disk's END before its data.
            List<SavedStream.Frame> endFirst = new ArrayList<>(fullFrames.frames());
            endFirst.add(fullFrames.first(SavedStream.PART), endFirst.remove(fullFrames.first(SavedStream.END)));
            String reason = refused(SavedStream.renumbered(endFirst));
            assertTrue(reason.contains("PART") && reason.contains("ended"), reason);
        });
    }

    @Test
    void duplicatedFramesAreRefused() throws Exception {
        FaultSummary.repeat("stream: a frame duplicated", FaultSummary.runs(), run -> {
            List<SavedStream.Frame> doubled = new ArrayList<>(fullFrames.frames());
            int at = randomPart();
            doubled.add(at, doubled.get(at));
            assertTrue(refused(SavedStream.raw(doubled)).contains("sequence"));
            for (int kind : new int[] {SavedStream.START, SavedStream.FULL}) {
                List<SavedStream.Frame> again = new ArrayList<>(fullFrames.frames());
                int first = fullFrames.first(kind);
                again.add(first + 1, again.get(first));
                String reason = refused(SavedStream.renumbered(again));
                assertTrue(reason.contains("already"), reason);
            }
        });
    }

    @Test
    void chunkDataAlteredUnderAValidCrcFailsTheDigest() throws Exception {
        FaultSummary.repeat("stream: chunk data altered under a valid CRC", FaultSummary.runs(), run -> {
            // The last byte of a PART of a random-data disk is chunk data, sent once (the VM was paused).
            String reason = refused(fullFrames.altered(randomPart(), payload -> payload[payload.length - 1] ^= 0x01));
            assertTrue(reason.contains("digest"), reason);
        });
    }

    @Test
    void anotherFormatVersionIsRefused() throws Exception {
        FaultSummary.repeat("stream: another format version", FaultSummary.runs(), run -> {
            ByteBuffer header = ByteBuffer.wrap(fullFrames.frames().getFirst().payload()).order(ByteOrder.LITTLE_ENDIAN);
            int major = Short.toUnsignedInt(header.getShort(8)) + 1;
            String reason = refused(fullFrames.altered(0, payload ->
                    ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) major)));
            assertTrue(reason.startsWith("stream format version " + major + "."), reason);
        });
    }

    @Test
    void somethingElseIsNotAFerryStream() throws Exception {
        FaultSummary.repeat("stream: not a Ferry stream", FaultSummary.runs(), run -> {
            byte[] noise = new byte[64 * 1024];
            random.nextBytes(noise);
            String reason = refused(noise);
            assertTrue(reason.contains("not a Ferry migration stream"), reason);
        });
    }

    @Test
    void anotherDiskCountIsRefused() throws Exception {
        FaultSummary.repeat("config: another disk count", FaultSummary.runs(), run -> {
            Path dir = fresh();
            String reason = refused(full, dir, "--disk", dir.resolve("disk.img").toString(), "--disk", dir.resolve("data.img").toString());
            assertTrue(reason.contains("[vda]") && reason.contains("[vda, vdb]"), reason);
        });
    }

    @Test
    void anotherDiskIdIsRefused() throws Exception {
        FaultSummary.repeat("config: another disk id", FaultSummary.runs(), run -> {
            Path dir = fresh();
            String reason = refused(full, dir, "--disk", dir.resolve("disk.img") + ",id=data");
            assertTrue(reason.contains("[vda]") && reason.contains("[data]"), reason);
        });
    }

    @Test
    void anExistingImageOfAnotherSizeIsRefusedAndKept() throws Exception {
        FaultSummary.repeat("config: existing image of another size", FaultSummary.runs(), run -> {
            Path dir = fresh();
            LiveMigrationRig.fillRandom(dir.resolve("disk.img"), DISK_BYTES / 2, run);
            String reason = refused(full, dir, "--disk", dir.resolve("disk.img").toString());
            assertTrue(reason.contains("size"), reason);
        });
    }

    @Test
    void anotherBackingFileIsRefused() throws Exception {
        FaultSummary.repeat("config: incremental onto another backing file", FaultSummary.runs(), run -> {
            Path dir = fresh();
            Path other = dir.resolve("other.raw");
            LiveMigrationRig.fillRandom(other, DISK_BYTES, 100 + run);
            String reason = refused(incremental, dir, "--disk", dir.resolve("overlay.qcow2") + ",backing=" + other);
            assertTrue(reason.contains("backing"), reason);
        });
    }

    /** Needs KVM: a machine none has no RAM, so memory cannot differ there. */
    @Test
    @Tag("kvm")
    void anotherMemorySizeIsRefused() throws Exception {
        KvmHost.assumeKvm();
        byte[] stream = kvmStream();
        FaultSummary.repeat("config: another memory size (kvm)", FaultSummary.runs(), run -> {
            Path dir = fresh();
            String reason = refused("kvm", stream, dir, "-m", "128M", "--disk", dir.resolve("disk.img") + ",format=raw");
            assertTrue(reason.toLowerCase(java.util.Locale.ROOT).contains("memory"), reason);
        });
    }

    /** A KVM machine's stream (RAM, vCPU and device state) with a bit flipped: refused, no VM runs. */
    @Test
    @Tag("kvm")
    void aCorruptKvmStreamIsRefused() throws Exception {
        KvmHost.assumeKvm();
        byte[] bad = kvmStream().clone();
        int at = random.nextInt(bad.length);
        bad[at] ^= (byte) (1 << random.nextInt(8));
        System.out.println("kvm stream: bit flipped at byte " + at);
        Path dir = fresh();
        refused("kvm", bad, dir, "-m", "64M", "--disk", dir.resolve("disk.img") + ",format=raw");
    }

    /** A 64 MiB KVM machine's full migration, saved once with the guest paused. */
    private static synchronized byte[] kvmStream() throws Exception {
        if (kvm == null) {
            Path source = fresh();
            Path disk = source.resolve("disk.img");
            LiveMigrationRig.fillRandom(disk, DISK_BYTES, 3);
            Path file = streams.resolve("kvm.bin");
            try (FerryProcess vm = FerryProcess.start("kvm", "source-kvm", source, logs, "-m", "64M", "--disk", disk + ",format=raw")) {
                LiveMigrationRig.assertWrites(vm);
                assertEquals(List.of(), vm.command("stop"));
                assertEquals(List.of("Migration status: completed"), vm.command("migrate -b exec:cat > " + file));
                assertEquals(0, vm.quit(), vm.stderr());
            }
            kvm = Files.readAllBytes(file);
        }
        return kvm;
    }

    /** A PART frame followed by another PART, at random. */
    private static int randomPart() {
        int first = fullFrames.first(SavedStream.PART);
        int parts = fullFrames.first(SavedStream.END) - first;
        assertTrue(parts >= 2, "the saved stream has " + parts + " PART frames");
        return first + random.nextInt(parts - 1);
    }

    private static Path fresh() throws IOException {
        return Files.createDirectory(work.resolve("destination-" + PROCESSES.incrementAndGet()));
    }

    private static String refused(byte[] stream) throws Exception {
        Path dir = fresh();
        return refused(stream, dir, "--disk", dir.resolve("disk.img").toString());
    }

    private static String refused(byte[] stream, Path dir, String... disks) throws Exception {
        return refused("none", stream, dir, disks);
    }

    /**
     * Feeds {@code stream} to a destination in {@code dir}: it must exit 1 with one failure line
     * and no trace, never start the VM, and leave {@code dir} exactly as it found it. Returns the
     * reason it gave.
     */
    private static String refused(String machine, byte[] stream, Path dir, String... disks) throws Exception {
        Path file = streams.resolve("bad-" + PROCESSES.incrementAndGet() + ".bin");
        Files.write(file, stream);
        Map<Path, String> before = contents(dir);
        List<String> args = new ArrayList<>(List.of(disks));
        args.addAll(List.of("--incoming", "exec:cat " + file));
        try (FerryProcess destination = FerryProcess.start(machine, "destination-" + PROCESSES.get(), dir, logs,
                args.toArray(String[]::new))) {
            int status = destination.awaitExit(Patience.seconds(60));
            String stderr = destination.stderr();
            assertEquals(1, status, stderr);
            List<String> failures = stderr.lines().filter(line -> line.startsWith(FAILED)).toList();
            assertEquals(1, failures.size(), stderr);
            assertFalse(stderr.contains("incoming migration done"), stderr);
            assertFalse(stderr.contains("Exception") || stderr.contains("\tat "), stderr);
            assertEquals(before, contents(dir), "the refused migration changed " + dir);
            Files.delete(file);
            System.out.println("refused: " + failures.getFirst());
            return failures.getFirst().substring(FAILED.length());
        }
    }

    /** Receives {@code stream} into {@code dir}, checks the guest's verification there and quits. */
    private static void accept(byte[] stream, Path dir, String disk) throws Exception {
        Path file = streams.resolve("good-" + PROCESSES.incrementAndGet() + ".bin");
        Files.write(file, stream);
        try (FerryProcess destination = FerryProcess.start("destination-" + PROCESSES.get(), dir, logs,
                "--disk", dir.resolve(disk).toString(), "--incoming", "exec:cat " + file)) {
            long deadline = System.nanoTime() + Patience.seconds(60).toNanos();
            while (!destination.stderr().contains("incoming migration done")) {
                assertTrue(destination.isAlive() && System.nanoTime() < deadline, destination.stderr());
                Thread.sleep(50);
            }
            String verdict = destination.answer("guest_verify");
            assertTrue(verdict.matches("vda: verify ok blocks=[1-9][0-9]*"), verdict);
            assertEquals(0, destination.quit(), destination.stderr());
        }
    }

    /** Every image in {@code dir} with its SHA-256 (a backing file's kept identity is a cache, not a change). */
    private static Map<Path, String> contents(Path dir) throws IOException {
        Map<Path, String> files = new TreeMap<>();
        for (Path file : LiveMigrationRig.images(dir)) {
            files.put(file, sha256(file));
        }
        return files;
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
