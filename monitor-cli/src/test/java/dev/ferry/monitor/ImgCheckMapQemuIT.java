package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferry.vm.block.IncompleteMark;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry img check} and {@code ferry img map} beside the real qemu-img 7.2 on the same files:
 * stdout, the problem lines on stderr and the exit status must be the same, for clean images made
 * by qemu-img and by Ferry and for images damaged on purpose.
 */
class ImgCheckMapQemuIT {

    private static final long CLUSTER = 65536;

    @BeforeAll
    static void needsQemuImg() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")) && Files.isExecutable(Path.of("/usr/bin/qemu-io")),
                "needs qemu-img and qemu-io (Debian's qemu-utils)");
    }

    @Test
    void checkAgreesWithQemuImgOnCleanImages(@TempDir Path dir) throws Exception {
        List<String> images = madeByQemu(dir);
        run(dir, 0, "qemu-img", "create", "-f", "qcow2", "-o", "cluster_size=512,refcount_bits=1", "small.qcow2", "1M");
        run(dir, 0, "qemu-io", "-c", "write -P 1 0 40k", "-c", "write -P 2 100k 8k", "-c", "write -P 3 20k 4k", "small.qcow2");
        Files.copy(dir.resolve("base.qcow2"), dir.resolve("snapshot.qcow2"));
        run(dir, 0, "qemu-img", "snapshot", "-c", "first", "snapshot.qcow2");
        run(dir, 0, "qemu-io", "-c", "write -P 5 0 64k", "snapshot.qcow2");
        Files.write(dir.resolve("text.raw"), "hello world ".repeat(90_000).getBytes(StandardCharsets.US_ASCII));
        run(dir, 0, "qemu-img", "convert", "-c", "-O", "qcow2", "text.raw", "compressed.qcow2");
        run(dir, 0, FerryImage.launcher().toString(), "img", "create", "-f", "qcow2", "ferry.qcow2", "5M");
        run(dir, 0, FerryImage.launcher().toString(), "img", "convert", "-O", "qcow2", "base.qcow2", "converted.qcow2");
        List<String> all = new ArrayList<>(images);
        all.addAll(List.of("small.qcow2", "snapshot.qcow2", "compressed.qcow2", "ferry.qcow2", "converted.qcow2"));
        for (String image : all.stream().filter(i -> i.endsWith(".qcow2")).toList()) {
            assertEquals(0, bothCheck(dir, image), image);
        }
        String human = ferry(dir, "img", "check", "base.qcow2").stdout();
        assertTrue(human.startsWith("No errors were found on the image.\n") && human.contains("Image end offset: "), human);
    }

    @Test
    void checkAgreesWithQemuImgOnDamagedImages(@TempDir Path dir) throws Exception {
        madeByQemu(dir);
        List<Path> damaged = List.of(dir.resolve("leak.qcow2"), dir.resolve("leak-copied.qcow2"), dir.resolve("unrefcounted.qcow2"),
                dir.resolve("past-end.qcow2"), dir.resolve("misaligned.qcow2"));
        for (Path copy : damaged) {
            Files.copy(dir.resolve("base.qcow2"), copy);
        }
        Qcow2Poke leak = new Qcow2Poke(damaged.get(0));
        long clusters = Files.size(damaged.get(0)) / CLUSTER;
        try (FileChannel file = FileChannel.open(damaged.get(0), StandardOpenOption.WRITE)) {
            file.truncate((clusters + 1) * CLUSTER);
            file.write(ByteBuffer.wrap(new byte[] {0}), (clusters + 1) * CLUSTER - 1);
        }
        leak.refcount(clusters, 1);
        long firstData = new Qcow2Poke(damaged.get(1)).l2Entry(0) & 0x00ff_ffff_ffff_fe00L;
        new Qcow2Poke(damaged.get(1)).refcount(firstData / CLUSTER, 2);
        new Qcow2Poke(damaged.get(2)).refcount(firstData / CLUSTER, 0);
        new Qcow2Poke(damaged.get(3)).setL2Entry(4, (1L << 63) | (256 * CLUSTER));
        new Qcow2Poke(damaged.get(4)).setL2Entry(4, (1L << 63) | (firstData + 512));
        assertEquals(3, bothCheck(dir, "leak.qcow2"), "a leaked cluster only");
        assertEquals(2, bothCheck(dir, "leak-copied.qcow2"), "refcount 2 on a COPIED cluster");
        assertEquals(2, bothCheck(dir, "unrefcounted.qcow2"), "a used cluster with refcount 0");
        assertEquals(2, bothCheck(dir, "past-end.qcow2"), "an L2 entry past the end of the file");
        assertEquals(2, bothCheck(dir, "misaligned.qcow2"), "a misaligned L2 entry");
        assertTrue(ferry(dir, "img", "check", "leak.qcow2").stdout().contains("1 leaked clusters were found on the image."));
        assertTrue(ferry(dir, "img", "check", "unrefcounted.qcow2").stderr().contains("ERROR cluster " + firstData / CLUSTER
                + " refcount=0 reference=1"));
    }

    @Test
    void rawHasNoChecksAndFerrysIncompleteMarkIsReported(@TempDir Path dir) throws Exception {
        madeByQemu(dir);
        FerryImage.Result raw = ferry(dir, "img", "check", "holes.raw");
        assertEquals(ImgCheck.UNSUPPORTED, raw.exitCode());
        assertEquals("ferry: This image format does not support checks\n", raw.stderr());
        assertEquals(63, run(dir, 63, "qemu-img", "check", "holes.raw").exitCode());
        IncompleteMark.begin(dir.resolve("base.qcow2"));
        IncompleteMark.fail(dir.resolve("base.qcow2"), "the source went away");
        run(dir, 0, "qemu-img", "check", "base.qcow2");
        FerryImage.Result marked = ferry(dir, "img", "check", "base.qcow2");
        assertEquals(2, marked.exitCode(), "a half-copied destination is not a clean disk");
        assertTrue(marked.stdout().startsWith("No errors were found on the image.\n"), marked.stdout());
        assertTrue(marked.stdout().contains("The qcow2 corrupt bit is set") && marked.stdout().contains("the source went away"),
                marked.stdout());
        FerryImage.Result json = ferry(dir, "img", "check", "--output=json", "base.qcow2");
        assertTrue(json.stdout().contains("\"corrupt-bit\": true") && json.stdout().contains("\"ferry-incomplete\": "), json.stdout());
    }

    @Test
    void mapAgreesWithQemuImg(@TempDir Path dir) throws Exception {
        List<String> images = madeByQemu(dir);
        run(dir, 0, FerryImage.launcher().toString(), "img", "convert", "-O", "qcow2", "holes.raw", "converted.qcow2");
        List<String> all = new ArrayList<>(images);
        all.add("converted.qcow2");
        for (String image : all) {
            for (String output : List.of("human", "json")) {
                FerryImage.Result ours = ferry(dir, "img", "map", "--output=" + output, image);
                FerryImage.Result theirs = run(dir, 0, "qemu-img", "map", "--output=" + output, image);
                assertEquals(theirs.stdout(), ours.stdout(), image + " " + output);
                assertEquals(0, ours.exitCode(), image + ": " + ours.stderr());
            }
        }
        String overlay = ferry(dir, "img", "map", "--output=json", "overlay.qcow2").stdout();
        assertTrue(overlay.contains("\"depth\": 1") && overlay.contains("\"present\": false"), overlay);
    }

    /**
     * Images by qemu-img and qemu-io: a qcow2 with data, a zero cluster and a preallocated zero
     * cluster; a qcow2 overlay over it and one more over that (larger than its backing); a raw
     * file with holes; a qcow2 overlay of the raw file.
     */
    private static List<String> madeByQemu(Path dir) throws Exception {
        run(dir, 0, "qemu-img", "create", "-f", "qcow2", "base.qcow2", "10M");
        run(dir, 0, "qemu-io", "-c", "write -P 1 0 128k", "-c", "write -z 1M 64k", "-c", "write -P 2 3M 64k",
                "-c", "write -P 4 4M 64k", "-c", "write -z 4M 64k", "base.qcow2");
        run(dir, 0, "qemu-img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "overlay.qcow2");
        run(dir, 0, "qemu-io", "-c", "write -P 3 64k 128k", "-c", "write -z 3M 64k", "overlay.qcow2");
        run(dir, 0, "qemu-img", "create", "-f", "qcow2", "-b", "overlay.qcow2", "-F", "qcow2", "top.qcow2", "12M");
        run(dir, 0, "qemu-io", "-c", "write -P 6 5M 64k", "-c", "write -P 6 11M 64k", "top.qcow2");
        run(dir, 0, "qemu-img", "create", "-f", "raw", "holes.raw", "1M");
        try (FileChannel raw = FileChannel.open(dir.resolve("holes.raw"), StandardOpenOption.WRITE)) {
            raw.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)), 200_000);
            raw.write(ByteBuffer.wrap(new byte[] {1}), 700_000);
        }
        run(dir, 0, "qemu-img", "create", "-f", "qcow2", "-b", "holes.raw", "-F", "raw", "over-raw.qcow2", "2M");
        run(dir, 0, "qemu-io", "-c", "write -P 7 0 64k", "-c", "write -z 256k 64k", "over-raw.qcow2");
        return List.of("base.qcow2", "overlay.qcow2", "top.qcow2", "holes.raw", "over-raw.qcow2");
    }

    /** Runs check both ways, human and JSON; asserts equal stdout, problem lines and status; returns the status. */
    private static int bothCheck(Path dir, String image) throws Exception {
        int status = -1;
        for (String output : List.of("human", "json")) {
            FerryImage.Result ours = ferry(dir, "img", "check", "--output=" + output, image);
            FerryImage.Result theirs = run(dir, ours.exitCode(), "qemu-img", "check", "--output=" + output, image);
            assertEquals(theirs.stdout(), ours.stdout(), image + " " + output);
            assertEquals(theirs.stderr(), ours.stderr().replace("ferry:", "qemu-img:"), image + " " + output);
            status = ours.exitCode();
        }
        return status;
    }

    private static FerryImage.Result ferry(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(FerryImage.launcher().toString()));
        command.addAll(List.of(args));
        return run(dir, -1, command.toArray(String[]::new));
    }

    /** Runs a command in {@code dir}; a {@code status} of -1 accepts any. */
    private static FerryImage.Result run(Path dir, int status, String... command) throws Exception {
        Path out = Files.createTempFile("img", ".out");
        Path err = Files.createTempFile("img", ".err");
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " hangs");
            FerryImage.Result result = new FerryImage.Result(process.exitValue(), Files.readString(out), Files.readString(err));
            if (status >= 0) {
                assertEquals(status, result.exitCode(), String.join(" ", command) + ": " + result.stdout() + result.stderr());
            }
            return result;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Edits a qcow2 file's refcounts and L2 entries in place (16-bit refcounts, one refcount block, one L2 table). */
    private record Qcow2Poke(Path image) {

        void refcount(long cluster, int value) throws IOException {
            try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long block = readLong(file, readLong(file, 48));
                file.write(ByteBuffer.allocate(2).putShort(0, (short) value), block + 2 * cluster);
            }
        }

        long l2Entry(long guestCluster) throws IOException {
            try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ)) {
                return readLong(file, l2Table(file) + 8 * guestCluster);
            }
        }

        void setL2Entry(long guestCluster, long entry) throws IOException {
            try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                file.write(ByteBuffer.allocate(8).putLong(0, entry), l2Table(file) + 8 * guestCluster);
            }
        }

        private static long l2Table(FileChannel file) throws IOException {
            return readLong(file, readLong(file, 40)) & 0x00ff_ffff_ffff_fe00L;
        }

        private static long readLong(FileChannel file, long at) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(8);
            file.read(buffer, at);
            return buffer.getLong(0);
        }
    }
}
