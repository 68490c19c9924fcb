package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.demo.Patience;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process with a disk rehearses a disk's copy in the background (DiskCopyRehearsal); ended in
 * the middle of it, by {@code quit} or SIGTERM, on either side of a migration to come, it exits
 * as it would have without one: its status, no warning or trace on stderr, and no scratch file
 * left in its temporary folder (where the JVM may keep files of its own: only the rehearsal's count).
 */
class RehearsalExitIT {

    @ParameterizedTest(name = "{0} ended by {1} {2} ms into the rehearsal")
    @CsvSource({"source, quit, 0", "source, SIGTERM, 200", "destination, SIGTERM, 0", "destination, quit, 200"})
    void endsCleanlyInTheMiddleOfARehearsal(String side, String how, int after, @TempDir Path dir) throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Path logs = Files.createDirectory(dir.resolve("logs"));
        Path disk = dir.resolve("disk.raw");
        assertEquals(0, FerryImage.run(60, "img", "create", "-f", "raw", disk.toString(), "16M").exitCode());
        List<String> args = new ArrayList<>(List.of("--machine", "none", "--serial", "none",
                "--monitor", "unix:" + FerryProcess.socket(dir), "--disk", disk + ",format=raw"));
        if (side.equals("destination")) {
            args.addAll(List.of("--incoming", "tcp:127.0.0.1:0"));
        }
        try (FerryProcess vm = FerryProcess.startSpelled(side, dir, logs, args, Map.of("JDK_JAVA_OPTIONS", "-Djava.io.tmpdir=" + tmp))) {
            // The rehearsal's scratch folder is the sign it is under way (without -v, whose debug lines
            // include traces of their own).
            long deadline = System.nanoTime() + Patience.seconds(60).toNanos();
            while (scratch(tmp).isEmpty()) {
                assertTrue(vm.isAlive() && System.nanoTime() < deadline, "no rehearsal began: " + vm.stderr());
                Thread.sleep(2);
            }
            Thread.sleep(after);
            assertFalse(scratch(tmp).isEmpty(), "the rehearsal was over before the process ended");
            int status = how.equals("quit") ? vm.quit() : vm.terminate();
            String stderr = vm.stderr();
            assertEquals(0, status, stderr);
            for (String forbidden : List.of("Exception", "\tat ", "WARN", "ERROR")) {
                assertFalse(stderr.contains(forbidden), forbidden + " on stderr: " + stderr);
            }
            assertEquals(List.of(), scratch(tmp), "left in the temporary folder");
        }
    }

    private static List<Path> scratch(Path tmp) throws IOException {
        try (Stream<Path> entries = Files.list(tmp)) {
            return entries.filter(p -> p.getFileName().toString().startsWith("ferry-rehearsal-")).toList();
        }
    }
}
