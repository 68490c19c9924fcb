package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/ferry's JIT rule: where the JVM sees one CPU, C1 only (-XX:TieredStopAtLevel=1), except over TLS;
 * elsewhere, or when the operator names a JIT mode, the JVM's default. Each case reads the flag's
 * final value from the JVM itself (-XX:+PrintFlagsFinal), and -XX:AOTMode=on makes a JVM that could
 * not use its role's AOT cache with the capped JIT fail instead of running without it.
 */
class JitChoiceIT {

    private static final Pattern LEVEL = Pattern.compile("\\sTieredStopAtLevel\\s+=\\s+(\\d+)\\s+\\{product}\\s+\\{([^}]+)}");
    private static final String PRINT = "-XX:+PrintFlagsFinal -XX:AOTMode=on";
    private static final Path TASKSET = Path.of("/usr/bin/taskset");

    @Test
    void oneCpuByAffinityCapsTheJitAtC1ForEveryRole() throws Exception {
        assumeTrue(Files.isExecutable(TASKSET), "needs taskset (util-linux)");
        List<String> oneCpu = List.of(TASKSET.toString(), "-c", "0");
        assertEquals("1 command line", level(oneCpu, PRINT, "--version"));
        assertEquals("1 command line", level(oneCpu, PRINT, "run", "--incoming", "defer", "--help"));
    }

    @Test
    void oneCpuByActiveProcessorCountCapsTheJitAtC1() throws Exception {
        assertEquals("1 command line", level(List.of(), "-XX:ActiveProcessorCount=1 " + PRINT, "--version"));
    }

    @Test
    void aCgroupQuotaOfOneCpuCapsTheJitAtC1(@TempDir Path dir) throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two CPUs, so that only the quota makes one");
        Path cgroup = oneCpuCgroup();
        try {
            List<String> inside = List.of("sh", "-c", "echo $$ >" + cgroup.resolve("cgroup.procs") + " && exec \"$@\"", "sh");
            assertEquals("1 command line", level(inside, PRINT, "--version"));
        } finally {
            Files.delete(cgroup);
        }
    }

    @Test
    void overTlsC2StaysOnOneCpu() throws Exception {
        assumeTrue(Files.isExecutable(TASKSET), "needs taskset (util-linux)");
        List<String> oneCpu = List.of(TASKSET.toString(), "-c", "0");
        assertEquals("4 default", level(oneCpu, PRINT, "run", "--tls-creds", "/nonexistent", "--help"));
        assertEquals("4 default", level(oneCpu, PRINT, "demo", "--tls", "--help"));
    }

    @Test
    void anOperatorsJitChoiceWinsOnOneCpu() throws Exception {
        assertEquals("4 command line", level(List.of(), "-XX:ActiveProcessorCount=1 -XX:TieredStopAtLevel=4 " + PRINT, "--version"));
    }

    @Test
    void twoCpusKeepC2() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two CPUs");
        assertEquals("4 default", level(List.of(), PRINT, "--version"));
    }

    /** The JVM's final TieredStopAtLevel and where it came from, e.g. "1 command line". */
    private static String level(List<String> wrapper, String jvmOptions, String... args) throws Exception {
        FerryImage.Result result = FerryImage.runAsWith(wrapper, Map.of("JDK_JAVA_OPTIONS", jvmOptions), 60, args);
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        Matcher flag = LEVEL.matcher(result.stdout());
        assertTrue(flag.find(), "no TieredStopAtLevel in:\n" + result.stdout() + result.stderr());
        return flag.group(1) + " " + flag.group(2);
    }

    /** A new cgroup whose CPU quota is one CPU (cgroup v1's cpu controller, else v2's cpu.max); skips without one. */
    private static Path oneCpuCgroup() throws IOException {
        Path v1 = Path.of("/sys/fs/cgroup/cpu");
        Path v2 = Path.of("/sys/fs/cgroup");
        if (Files.isWritable(v1.resolve("cpu.cfs_quota_us"))) {
            Path cgroup = Files.createDirectory(v1.resolve("ferry-jit-" + ProcessHandle.current().pid()));
            Files.writeString(cgroup.resolve("cpu.cfs_period_us"), "100000");
            Files.writeString(cgroup.resolve("cpu.cfs_quota_us"), "100000");
            return cgroup;
        }
        Path control = v2.resolve("cgroup.subtree_control");
        assumeTrue(Files.isWritable(control) && Files.readString(control).contains("cpu"),
                "needs a writable cgroup with the cpu controller (root)");
        Path cgroup = Files.createDirectory(v2.resolve("ferry-jit-" + ProcessHandle.current().pid()));
        Files.writeString(cgroup.resolve("cpu.max"), "100000 100000");
        return cgroup;
    }
}
