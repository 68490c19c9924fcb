package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that ends while a disk copy rehearsal begins, or runs, exits as if there were none: no
 * trace on stderr, its status, no scratch file left. Each case is a JVM of its own (this one
 * cannot end in a test): {@link #main} is that JVM.
 */
class RehearsalAtExitTest {

    private static final int TRIES = 5;

    @Test
    void aRehearsalThatBeginsWhileTheProcessEndsDoesNotStart(@TempDir Path tmp) throws Exception {
        assertEquals("0 copies", assertExitsCleanly("begins-at-exit", tmp));
    }

    @Test
    void aRehearsalUnderWayWhenTheProcessEndsLeavesNothing(@TempDir Path dir) throws Exception {
        // The moment the exit meets the rehearsal varies from run to run: several tries, each its own folder.
        for (int run = 0; run < TRIES; run++) {
            assertExitsCleanly("under-way-at-exit", Files.createDirectory(dir.resolve("try-" + run)));
        }
    }

    /** Runs the child JVM in {@code scenario}, checks it ended cleanly and returns its stdout. */
    private static String assertExitsCleanly(String scenario, Path tmp) throws Exception {
        String javaHome = System.getProperty("java.home");
        String path = Stream.of(System.getProperty("jdk.module.path", ""), System.getProperty("java.class.path", ""))
                .filter(p -> !p.isEmpty()).collect(Collectors.joining(File.pathSeparator));
        Path out = tmp.resolveSibling(tmp.getFileName() + ".out");
        Path err = tmp.resolveSibling(tmp.getFileName() + ".err");
        Process child = new ProcessBuilder(Path.of(javaHome, "bin", "java").toString(), "-Djava.io.tmpdir=" + tmp,
                "-cp", path, RehearsalAtExitTest.class.getName(), scenario)
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean ended = child.waitFor(2, TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly().waitFor();
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertTrue(ended, scenario + ": the JVM did not end within 2 minutes; stderr: " + stderr);
        assertEquals(0, child.exitValue(), stderr);
        assertFalse(stderr.contains("Exception") || stderr.contains("\tat ") || stderr.contains("Error"), stderr);
        assertEquals(List.of(), scratchFolders(tmp));
        return Files.readString(out, StandardCharsets.UTF_8).strip();
    }

    /** The rehearsals' scratch folders in {@code tmp} now. */
    private static List<Path> scratchFolders(Path tmp) throws IOException {
        try (Stream<Path> entries = Files.list(tmp)) {
            return entries.filter(f -> f.getFileName().toString().startsWith(DiskCopyRehearsal.SCRATCH_PREFIX)).toList();
        }
    }

    /** The child JVM: ends the process at the moment {@code args[0]} names. */
    public static void main(String[] args) throws IOException, InterruptedException {
        switch (args[0]) {
            case "begins-at-exit" -> {
                // The hook that begins the rehearsal runs once the process is ending: it must not start.
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        int copies = DiskCopyRehearsal.run(DiskCopyRehearsal.ROUNDS, Duration.ofMinutes(1), () -> false);
                        System.out.println(copies + " copies");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
                System.exit(0);
            }
            case "under-way-at-exit" -> {
                Thread.ofPlatform().start(DiskCopyRehearsal::run);
                Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
                while (scratchFolders(tmp).isEmpty()) {
                    Thread.sleep(1);
                }
                System.exit(0);
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
