package dev.ferry.vm.linux;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The Linux test guest: Debian's kernel and a busybox initramfs, built by
 * {@code tools/linux-guest/build} from Debian packages (cached; the first build needs apt and the
 * network). Tests that need it skip, naming why, when it cannot be built here.
 *
 * @param kernel the bzImage
 * @param initrd the initramfs, whose /init prints FERRY-INIT-OK and then FERRY-TICK lines
 */
public record TestLinuxGuest(Path kernel, Path initrd) {

    private static final Path SCRIPT = Path.of("..", "tools", "linux-guest", "build");

    /** Builds or finds the guest, or skips the calling test. */
    public static TestLinuxGuest require() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(SCRIPT), "needs " + SCRIPT + " (run from a module folder of the Ferry tree)");
        Process build = new ProcessBuilder(SCRIPT.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        boolean done = build.waitFor(10, TimeUnit.MINUTES);
        assumeTrue(done && build.exitValue() == 0, "needs the Linux test guest: " + SCRIPT
                + " could not build it here (apt-get download of linux-image-amd64 and busybox-static)");
        Path dir = Path.of(out);
        return new TestLinuxGuest(dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"));
    }
}
