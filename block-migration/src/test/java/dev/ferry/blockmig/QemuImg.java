package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The reference tool: {@code qemu-img compare} judges our qcow2 copies. */
final class QemuImg {

    private QemuImg() {
    }

    static void assumeInstalled() {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "qemu-img")));
        Assumptions.assumeTrue(found, "needs qemu-img (Debian package qemu-utils) on the PATH");
    }

    /** Fails unless qemu-img finds the two images' guest-visible contents identical. */
    static void assertIdentical(Path a, Path b) throws IOException, InterruptedException {
        assertSucceeds(List.of("qemu-img", "compare", "-U", a.toString(), b.toString()));
    }

    /** Fails unless {@code qemu-img check} finds no error and no leak in the image. */
    static void assertClean(Path image) throws IOException, InterruptedException {
        assertSucceeds(List.of("qemu-img", "check", "-U", image.toString()));
    }

    private static void assertSucceeds(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
        }
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    }
}
