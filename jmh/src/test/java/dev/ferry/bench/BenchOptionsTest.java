package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchOptionsTest {

    @TempDir
    Path dir;

    private String ferry() throws IOException {
        Path launcher = dir.resolve("ferry");
        Files.writeString(launcher, "#!/bin/sh\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        return launcher.toString();
    }

    @Test
    void defaultsAndOverrides() throws IOException {
        BenchMain.Options defaults = BenchMain.Options.parse(new String[] {"--ferry", ferry()}, null);
        assertEquals(3, defaults.runs());
        assertEquals("abcdefghq", defaults.only());
        assertEquals(4L << 30, defaults.largeDisk());
        assertEquals(Duration.ofSeconds(BenchMain.SETTLE_SECONDS), defaults.settle());
        assertEquals(Duration.ZERO, BenchMain.Options.parse(new String[] {"--ferry", ferry(), "--settle", "0"}, null).settle());
        assertEquals(5, BenchMain.Options.parse(new String[] {"--ferry", ferry()}, "5").runs());
        BenchMain.Options quick = BenchMain.Options.parse(new String[] {"--ferry", ferry(), "--quick", "--only", "ab",
                "--large-disk", "2G"}, "5");
        assertEquals(1, quick.runs());
        assertEquals("ab", quick.only());
        assertEquals(2L << 30, quick.largeDisk());
    }

    @Test
    void badArgumentsAreNamed() throws IOException {
        String ferry = ferry();
        assertMessage("--runs must be a positive whole number, got '0'", "--ferry", ferry, "--runs", "0");
        assertMessage("--only takes scenario letters a to h and q, got 'xz'", "--ferry", ferry, "--only", "xz");
        assertMessage("unknown option '--fast'", "--ferry", ferry, "--fast");
        assertMessage("--settle must be a whole number of at least 0, got '-1'", "--ferry", ferry, "--settle", "-1");
        assertMessage("--runs needs a value", "--ferry", ferry, "--runs");
        assertMessage("--ferry must name the ferry launcher", "--ferry", dir.resolve("missing").toString());
        IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
                () -> BenchMain.Options.parse(new String[] {"--ferry", ferry}, "three"));
        assertTrue(env.getMessage().startsWith("FERRY_BENCH_RUNS must be"), env.getMessage());
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchMain.Options.parse(args, null));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
