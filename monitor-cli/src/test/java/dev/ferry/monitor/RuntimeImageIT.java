package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image a user runs starts with no JVM flags typed and without JVM warnings. */
class RuntimeImageIT {

    @Test
    void versionRunsWithoutFlagsOrWarnings() throws Exception {
        FerryImage.Result result = FerryImage.run(60, "--version");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().startsWith("ferry "), result.stdout());
        assertEquals("", result.stderr(), "the launcher should carry every JVM flag it needs");
    }

    /**
     * Each role starts from its own AOT cache. bin/ferry runs without one silently when the JVM
     * rejects it (a stale cache would only show as a slower migration): -XX:AOTMode=on makes the
     * JVM stop instead, and its log names the cache it opened.
     */
    @Test
    void eachRoleStartsFromItsAotCache(@TempDir Path dir) throws Exception {
        assertOpensAotCache(dir, "source.aot", "--version");
        assertOpensAotCache(dir, "destination.aot", "run", "--incoming", "defer", "--help");
    }

    private static void assertOpensAotCache(Path dir, String cache, String... args) throws Exception {
        Path log = dir.resolve(cache + ".log");
        FerryImage.Result result = FerryImage.runWith(
                Map.of("JDK_JAVA_OPTIONS", "-XX:AOTMode=on -Xlog:aot=info:file=" + log), 60, args);
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(Files.readString(log).lines().anyMatch(l -> l.contains("Opened AOT cache") && l.contains("/lib/" + cache)),
                "the JVM did not open lib/" + cache + ":\n" + Files.readString(log));
    }

    /** Installed as a symbolic link on the PATH (ln -s /opt/ferry/bin/ferry /usr/local/bin), it still finds its JVM and caches. */
    @Test
    void aSymbolicLinkToTheLauncherRunsTheImage(@TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("ferry"), FerryImage.launcher());
        FerryImage.Result result = FerryImage.runThrough(link, 60, "--version");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().startsWith("ferry "), result.stdout());
        assertEquals("", result.stderr());
    }

    /**
     * The caches are trained where there is no KVM, on {@code ferry demo --machine none}; each still
     * holds the KVM machine's classes (AotTraining loads every class of Ferry's modules), which a
     * JVM started from it has loaded before main, from the cache rather than the image's modules.
     */
    @Test
    void eachRolesCacheHoldsTheKvmMachinesClasses(@TempDir Path dir) throws Exception {
        assertCacheHolds(dir, "source", List.of("dev.ferry.vm.Machine", "dev.ferry.vm.state.MachineConfig"), "--version");
        assertCacheHolds(dir, "destination", List.of("dev.ferry.vm.Machine", "dev.ferry.vm.StateRehearsal",
                "dev.ferry.vm.state.CpuSnapshot", "dev.ferry.kvm.Vcpu"), "run", "--incoming", "defer", "--help");
    }

    private static void assertCacheHolds(Path dir, String role, List<String> classes, String... args) throws Exception {
        Path log = dir.resolve(role + "-classes.log");
        FerryImage.Result result = FerryImage.runWith(
                Map.of("JDK_JAVA_OPTIONS", "-XX:AOTMode=on -Xlog:class+load=info:file=" + log), 60, args);
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        List<String> lines = Files.readAllLines(log);
        for (String name : classes) {
            assertTrue(lines.stream().anyMatch(l -> l.contains(" " + name + " source: shared objects file")),
                    "the " + role + " cache does not hold " + name);
        }
    }

    @Test
    void unknownCommandIsOneClearErrorAndNonZero() throws Exception {
        FerryImage.Result result = FerryImage.run(60, "no-such-command");
        assertTrue(result.exitCode() != 0);
        assertTrue(result.stderr().contains("no-such-command"), result.stderr());
        assertTrue(!result.stderr().contains("Exception"), result.stderr());
    }

    @Test
    void theLauncherExecsTheVmSoItsPidIsTheVm(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        assertEquals(0, FerryImage.run(60, "img", "create", disk.toString(), "1M").exitCode());
        try (FerryProcess vm = FerryProcess.start("vm", dir, dir, "--disk", disk.toString(), "--workload-rate", "0")) {
            assertEquals("VM status: running", vm.answer("info status"));
            // jlink's own launcher would show java here, a child that SIGKILL to ferry's pid leaves running.
            assertEquals(List.of(), vm.descendants());
            assertEquals(0, vm.quit(), vm.stderr());
        }
    }
}
