package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ferry's QMP driven by a client nobody in this project wrote: DigitalOcean's go-qemu (Debian's
 * golang-github-digitalocean-go-qemu-dev, built here with Debian's golang-go) in the small
 * program src/test/go/qmpcheck. The same program reads the same fields from QEMU 7.2.
 */
class QmpIT {

    private static final Path GO_QEMU = Path.of("/usr/share/gocode/src/github.com/digitalocean/go-qemu/qmp");
    private static final Path SOURCE = Path.of("src/test/go/qmpcheck/main.go");
    private static Path qmpcheck;

    @BeforeAll
    static void buildTheClient(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(GO_QEMU), "needs Debian's golang-github-digitalocean-go-qemu-dev (no " + GO_QEMU + ")");
        assumeTrue(onPath("go"), "needs Debian's golang-go (no go on PATH)");
        qmpcheck = dir.resolve("qmpcheck");
        Run build = run(dir, Duration.ofSeconds(300), List.of("env", "GO111MODULE=off", "GOPATH=/usr/share/gocode",
                "GOCACHE=" + dir.resolve("gocache"), "go", "build", "-o", qmpcheck.toString(), SOURCE.toAbsolutePath().toString()));
        assertEquals(0, build.status(), build.output());
    }

    @Test
    void goQemuMigratesAFerryVmWithItsDiskAndSeesTheEvents(@TempDir Path dir) throws Exception {
        Path sourceDir = Files.createDirectory(dir.resolve("source"));
        Path destinationDir = Files.createDirectory(dir.resolve("destination"));
        Path logs = Files.createDirectory(dir.resolve("logs"));
        Path disk = sourceDir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 16L << 20, 11);
        Path sourceQmp = sourceDir.resolve("qmp.sock");
        Path destinationQmp = destinationDir.resolve("qmp.sock");
        try (FerryProcess source = FerryProcess.start("source", sourceDir, logs, "--disk", disk + ",format=raw",
                "--workload-rate", "256K", "--qmp", "unix:" + sourceQmp + ",server,nowait");
             FerryProcess destination = FerryProcess.start("destination", destinationDir, logs,
                     "--disk", destinationDir.resolve("disk.img") + ",format=raw", "--incoming", "tcp:127.0.0.1:0",
                     "--qmp", "unix:" + destinationQmp)) {
            String uri = destination.incomingUri();
            // The QMP socket is bound before the HMP monitor: once HMP answers, QMP is there.
            assertEquals("VM status: running", source.answer("info status"));
            List<String> before = show(dir, sourceQmp);
            assertTrue(before.contains("query-status status=\"running\""), before.toString());
            assertTrue(before.contains("query-migrate status=<missing>"), "no migration yet: QEMU answers {}");
            assertTrue(show(dir, destinationQmp).contains("query-status status=\"inmigrate\""));

            Run migrate = run(dir, Duration.ofSeconds(150), List.of(qmpcheck.toString(), "migrate", sourceQmp.toString(), uri, "blk"));
            List<String> lines = migrate.output().lines().toList();
            assertEquals(0, migrate.status(), migrate.output() + source.stderr());
            assertTrue(lines.contains("parameters max-bandwidth=536870912 downtime-limit=200"), migrate.output());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("bad uri error=migrate: ") && l.contains("carrier-pigeon")), migrate.output());
            assertTrue(lines.contains("event MIGRATION status=setup"), migrate.output());
            assertTrue(lines.contains("event MIGRATION status=completed"), migrate.output());
            assertTrue(lines.contains("query-migrate status=completed"), migrate.output());
            assertTrue(lines.contains("query-migrate disk.total=16777216 disk.remaining=0"), migrate.output());
            assertTrue(lines.contains("event STOP"), "the source pauses for good: " + migrate.output());

            List<String> after = show(dir, sourceQmp);
            assertTrue(after.contains("query-status status=\"postmigrate\""), after.toString());
            assertFalse(after.stream().anyMatch(l -> l.contains("<missing>")), "a field go-qemu reads is missing: " + after);
            LiveMigrationRig.awaitStatus(destination, s -> s.equals("Migration status: completed"), Duration.ofSeconds(60));
            assertTrue(destination.answer("guest_verify").startsWith("vda: verify ok"));
            assertEquals(0, destination.quit());
            assertEquals(0, source.quit());
            assertFalse(Files.exists(sourceQmp) || Files.exists(destinationQmp), "a QMP socket is left behind");
        }
    }

    /** The protocol's edges, in raw JSON over TCP: negotiation first, error classes, id echo, a stream that is not JSON; SIGTERM removes the unix socket. */
    @Test
    void errorsCarryQemusClassesAndTheClientsId(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 4L << 20, 13);
        int port = freePort();
        Path unixQmp = dir.resolve("qmp.sock");
        try (FerryProcess vm = FerryProcess.startSpelled("vm", dir, Files.createDirectory(dir.resolve("logs")), List.of(
                "-machine", "none", "-serial", "none", "-monitor", "unix:" + FerryProcess.socket(dir), "-qmp", "tcp:127.0.0.1:" + port + ",server,nowait",
                "--disk", disk + ",format=raw"))) {
            assertEquals("VM status: running", vm.answer("info status"));
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                var out = socket.getOutputStream();
                assertTrue(in.readLine().startsWith("{\"QMP\":{\"version\":{\"qemu\":"));
                java.util.function.Function<String, String> ask = request -> {
                    try {
                        out.write(request.getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        return in.readLine();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                };
                assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Expecting capabilities negotiation with 'qmp_capabilities'\"},\"id\":7}",
                        ask.apply("{\"execute\":\"query-status\",\"id\":7}"));
                assertEquals("{\"return\":{},\"id\":\"n\"}", ask.apply("{\"execute\":\"qmp_capabilities\",\"id\":\"n\"}"));
                assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command frobnicate has not been found\"},\"id\":[1]}",
                        ask.apply("{\"execute\":\"frobnicate\",\"id\":[1]}"));
                assertEquals("{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'uri' is missing\"}}", ask.apply("{\"execute\":\"migrate\"}"));
                assertTrue(ask.apply("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":\"soon\"}}")
                        .contains("\"class\":\"GenericError\""));
                assertEquals("{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'frame-checksum': 'md5' is not one of auto, crc32c, xxh3\"}}",
                        ask.apply("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"frame-checksum\":\"md5\"}}"));
                assertEquals("{\"return\":{}}", ask.apply("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"frame-checksum\":\"xxh3\"}}"));
                assertTrue(ask.apply("{\"execute\":\"query-migrate-parameters\"}").contains("\"frame-checksum\":\"xxh3\""));
                assertTrue(ask.apply("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:1\"}}").contains("\"class\":\"GenericError\""));
                assertEquals("{\"return\":\"VM status: running\\n\"}",
                        ask.apply("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info status\"}}"));
                assertTrue(ask.apply("{\"execute\": nonsense}").startsWith("{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error"));
            }
            assertEquals("VM status: running", vm.answer("info status"));
        }
        Path other = Files.createDirectory(dir.resolve("unix"));
        try (FerryProcess vm = FerryProcess.start("unix", other, dir.resolve("logs"), "--disk", disk + ",format=raw", "--qmp", "unix:" + unixQmp)) {
            assertEquals("VM status: running", vm.answer("info status"));
            assertTrue(Files.exists(unixQmp));
            assertEquals(0, vm.terminate());
            assertFalse(Files.exists(unixQmp), "SIGTERM left the QMP socket behind");
        }
    }

    /**
     * The same program against QEMU 7.2 and Ferry after a completed migration: every field QEMU
     * shows, Ferry shows too. (QEMU's {@code -machine none} has no device a block migration can
     * copy, so QEMU migrates RAM only; its disk fields stay missing and are left out of the check.)
     */
    @Test
    void ferryShowsTheFieldsQemuShows(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("qemu-system-x86_64") && onPath("qemu-img"), "needs qemu-system-x86_64 and qemu-img (Debian's qemu-system-x86, qemu-utils)");
        Path image = dir.resolve("vda.qcow2");
        assertEquals(0, run(dir, Duration.ofSeconds(30), List.of("qemu-img", "create", "-f", "qcow2", image.toString(), "16M")).status());
        int port = freePort();
        Path sourceQmp = dir.resolve("qemu-src.sock");
        Path destinationQmp = dir.resolve("qemu-dst.sock");
        List<String> qemu = List.of("qemu-system-x86_64", "-machine", "none", "-m", "64", "-nodefaults", "-display", "none",
                "-drive", "file=" + image + ",if=none,id=vda,format=qcow2,readonly=on");
        Process qemuSource = start(dir, Args.with(qemu, "-qmp", "unix:" + sourceQmp + ",server,nowait"));
        Process qemuDestination = start(dir, Args.with(qemu, "-qmp", "unix:" + destinationQmp + ",server,nowait",
                "-incoming", "tcp:127.0.0.1:" + port));
        List<String> qemuFields;
        try {
            awaitFile(sourceQmp);
            awaitFile(destinationQmp);
            Run migrate = run(dir, Duration.ofSeconds(120), List.of(qmpcheck.toString(), "migrate", sourceQmp.toString(), "tcp:127.0.0.1:" + port));
            assertTrue(migrate.output().contains("query-migrate status=completed"), migrate.output());
            qemuFields = show(dir, sourceQmp);
        } finally {
            qemuSource.destroyForcibly().waitFor();
            qemuDestination.destroyForcibly().waitFor();
        }
        System.out.println("QEMU 7.2:\n" + String.join("\n", qemuFields));

        Path logs = Files.createDirectory(dir.resolve("logs"));
        Path sourceDir = Files.createDirectory(dir.resolve("source"));
        Path destinationDir = Files.createDirectory(dir.resolve("destination"));
        Path disk = sourceDir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 16L << 20, 12);
        Path ferryQmp = sourceDir.resolve("qmp.sock");
        List<String> ferryFields;
        try (FerryProcess source = FerryProcess.start("source", sourceDir, logs, "--disk", disk + ",format=raw",
                "--qmp", "unix:" + ferryQmp);
             FerryProcess destination = FerryProcess.start("destination", destinationDir, logs,
                     "--disk", destinationDir.resolve("disk.img") + ",format=raw", "--incoming", "tcp:127.0.0.1:0")) {
            assertEquals("VM status: running", source.answer("info status")); // its QMP socket is bound by now
            Run migrate = run(dir, Duration.ofSeconds(150), List.of(qmpcheck.toString(), "migrate", ferryQmp.toString(),
                    destination.incomingUri(), "blk"));
            assertTrue(migrate.output().contains("query-migrate status=completed"), migrate.output());
            ferryFields = show(dir, ferryQmp);
        }
        System.out.println("Ferry:\n" + String.join("\n", ferryFields));
        List<String> shownByQemu = names(qemuFields.stream().filter(l -> !l.contains("<missing>")).toList());
        assertTrue(shownByQemu.containsAll(List.of("query-migrate total-time", "query-migrate ram.transferred", "query-block 0.device")),
                "QEMU's answer lacks the fields compared: " + qemuFields);
        assertTrue(names(ferryFields.stream().filter(l -> !l.contains("<missing>")).toList()).containsAll(shownByQemu),
                "QEMU shows " + shownByQemu + ", Ferry " + ferryFields);
        assertTrue(ferryFields.contains("query-migrate status=\"completed\"") && qemuFields.contains("query-migrate status=\"completed\""));
    }

    private static List<String> names(List<String> lines) {
        return lines.stream().map(l -> l.contains("=") ? l.substring(0, l.indexOf('=')) : l).toList();
    }

    private static List<String> show(Path dir, Path socket) throws Exception {
        Run show = run(dir, Duration.ofSeconds(60), List.of(qmpcheck.toString(), "show", socket.toString()));
        assertEquals(0, show.status(), show.output());
        return show.output().lines().toList();
    }

    private record Run(int status, String output) {
    }

    private static Run run(Path dir, Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile(dir, "run", ".txt");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(command + " did not end in " + timeout + ": " + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    private static Process start(Path dir, List<String> command) throws IOException {
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu-" + command.hashCode() + ".log").toFile()).start();
    }

    private static void awaitFile(Path path) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(path)) {
            assertTrue(System.nanoTime() < deadline, "no " + path + " after 30 s");
            Thread.sleep(50);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static boolean onPath(String program) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).stream()
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }
}
