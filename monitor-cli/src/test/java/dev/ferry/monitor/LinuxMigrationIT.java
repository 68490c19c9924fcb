package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Linux guest cannot migrate yet: {@code migrate} says so in one line before it connects
 * anywhere, and the guest keeps running (the stream would not carry its PIT or CMOS clock, so a
 * destination would start a machine unlike the source's).
 */
@Tag("kvm")
class LinuxMigrationBlockerIT {

    private static final Path BUILD = Path.of("..", "tools", "linux-guest", "build");

    @Test
    void migrateOfALinuxGuestIsRefusedBeforeItConnects(@TempDir Path dir, @TempDir Path logs) throws Exception {
        KvmHost.assumeKvm();
        Path guest = linuxGuest();
        FerryProcess source = FerryProcess.start("kvm", "linux", dir, logs, "-m", "256M",
                "--kernel", guest.resolve("vmlinuz").toString(), "--initrd", guest.resolve("initramfs.cpio.gz").toString(),
                "--append", "console=ttyS0 panic=-1");
        try {
            // Port 9 (discard) has no listener here: a migration that tried to connect would say so instead.
            List<String> refused = source.command("migrate -d -b tcp:127.0.0.1:9");
            assertEquals(1, refused.size(), refused.toString());
            assertTrue(refused.getFirst().contains("migrate: a Linux guest cannot migrate yet"), refused.toString());
            assertEquals("VM status: running", source.answer("info status"));
        } finally {
            source.kill();
        }
    }

    /** The folder tools/linux-guest/build fills (cached): Debian's kernel and a busybox initramfs. */
    private static Path linuxGuest() throws IOException, InterruptedException {
        Process build = new ProcessBuilder(BUILD.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        boolean built = build.waitFor(10, TimeUnit.MINUTES) && build.exitValue() == 0 && Files.isDirectory(Path.of(out));
        Assumptions.assumeTrue(built, "needs the Linux test guest, which " + BUILD + " could not build here");
        return Path.of(out);
    }
}
