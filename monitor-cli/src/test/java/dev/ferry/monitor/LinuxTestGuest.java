package dev.ferry.monitor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The Linux test guest tools/linux-guest/build makes (cached): Debian's kernel and a busybox
 * initramfs whose init writes, verifies and re-verifies records on /dev/vda and ticks.
 *
 * @param kernel the bzImage
 * @param initrd the initramfs
 */
record LinuxTestGuest(Path kernel, Path initrd) {

    private static final Path BUILD = Path.of("..", "tools", "linux-guest", "build");

    /** Builds or finds the guest, or skips the calling test naming why. */
    static LinuxTestGuest require() throws IOException, InterruptedException {
        Process build = new ProcessBuilder(BUILD.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        boolean built = build.waitFor(10, TimeUnit.MINUTES) && build.exitValue() == 0 && Files.isDirectory(Path.of(out));
        Assumptions.assumeTrue(built, "needs the Linux test guest, which " + BUILD + " could not build here");
        Path dir = Path.of(out);
        return new LinuxTestGuest(dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"));
    }
}
