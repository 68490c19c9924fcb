package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to the monitor of a running VM and to the {@code ferry} command line: malformed URIs,
 * unknown commands, out-of-range numbers, missing files. Each gets one clear line naming what was
 * wrong; the monitor's VM keeps running and verifying, the command line exits non-zero.
 */
class BadCommandIT {

    /** A bad monitor line and a word its one-line answer must contain. */
    private record Line(String command, String mentions) {
    }

    /** A bad command line and a word its one-line error must contain. */
    private record Invocation(List<String> args, String mentions) {
    }

    @AfterAll
    static void summary() {
        FaultSummary.write();
    }

    @Test
    void theMonitorAnswersEachBadLineWithOneLineAndRunsOn(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 4L << 20, 7);
        try (FerryProcess vm = FerryProcess.start("vm", dir, Files.createDirectory(dir.resolve("logs")),
                "--disk", disk + ",format=raw", "--workload-rate", "1M")) {
            answerEach(vm, "monitor: malformed migration URI", List.of(
                    new Line("migrate tcp:", "tcp:"),
                    new Line("migrate tcp:127.0.0.1", "port"),
                    new Line("migrate tcp:127.0.0.1:99999", "99999"),
                    new Line("migrate tcp:127.0.0.1:-1", "-1"),
                    new Line("migrate carrier-pigeon:home", "carrier-pigeon"),
                    new Line("migrate unix:", "unix:"),
                    new Line("migrate exec:", "exec:"),
                    new Line("migrate \"exec:cat", "quote"),
                    new Line("migrate -b -i tcp:127.0.0.1:4444", "-b and -i"),
                    new Line("migrate --drives vdz -b tcp:127.0.0.1:4444", "vdz")));
            answerEach(vm, "monitor: unknown command", List.of(
                    new Line("frobnicate", "frobnicate"),
                    new Line("info nothing", "nothing"),
                    new Line("help nothing", "nothing"),
                    new Line("migrate_cancel", "no migration")));
            answerEach(vm, "monitor: out-of-range number", List.of(
                    new Line("migrate_set_speed -5", "-5"),
                    new Line("migrate_set_speed 0", "0"),
                    new Line("migrate_set_speed 99999999999T", "99999999999T"),
                    new Line("migrate_set_speed fast", "fast"),
                    new Line("migrate_set_downtime 0", "0"),
                    new Line("migrate_set_downtime 1e9", "1e9"),
                    new Line("migrate_set_downtime NaN", "NaN"),
                    new Line("guest_verify --timeout -1", "--timeout -1"),
                    new Line("guest_verify --timeout soon", "soon")));
            answerEach(vm, "monitor: missing file or peer", List.of(
                    new Line("migrate unix:" + dir.resolve("no-such.sock"), "no-such.sock"),
                    new Line("migrate tcp:127.0.0.1:1", "127.0.0.1:1"),
                    new Line("migrate -b exec:cat > " + dir.resolve("no-such-dir/stream.bin"), "no-such-dir")));
            assertEquals("VM status: running", vm.answer("info status"));
            assertTrue(vm.answer("guest_verify").matches("vda: verify ok blocks=[1-9][0-9]*"));
            assertEquals(0, vm.quit(), vm.stderr());
        }
    }

    @Test
    void theCommandLineRefusesEachBadInvocationWithOneLine(@TempDir Path dir) throws Exception {
        String disk = dir.resolve("disk.img").toString();
        String missing = dir.resolve("no-such-dir/disk.img").toString();
        assertEquals(0, FerryImage.run(60, "img", "create", "-f", "raw", disk, "1M").exitCode());
        List<String> run = List.of("run", "--machine", "none", "--monitor", "none", "--serial", "none");
        refuseEach("cli: missing file", List.of(
                new Invocation(Args.with(run, "--disk", missing), missing),
                new Invocation(List.of("img", "info", missing), missing),
                new Invocation(List.of("img", "create", "-f", "qcow2", "-b", missing, dir.resolve("top.qcow2").toString()), missing)));
        List<String> linux = List.of("run", "--monitor", "none", "--serial", "none");
        refuseEach("cli: bad Linux kernel, initrd or command line", List.of(
                new Invocation(Args.with(linux, "--kernel", missing), "kernel " + missing + ": no such file"),
                new Invocation(Args.with(linux, "--kernel", disk), disk + ": not a Linux kernel"),
                new Invocation(Args.with(linux, "--initrd", disk), "--initrd needs --kernel"),
                new Invocation(Args.with(linux, "--append", "console=ttyS0"), "--append needs --kernel"),
                new Invocation(Args.with(linux, "--kernel", disk, "--machine", "none"), "--kernel needs --machine kvm"),
                new Invocation(Args.with(linux, "--kernel", disk, "--incoming", "tcp:127.0.0.1:4444"), disk + ": not a Linux kernel"),
                new Invocation(List.of("demo", "--kernel", missing), "kernel " + missing + ": no such file"),
                new Invocation(List.of("demo", "--kernel", disk), disk + ": not a Linux kernel"),
                new Invocation(List.of("demo", "--initrd", disk), "--initrd needs --kernel"),
                new Invocation(List.of("demo", "--append", "console=ttyS0"), "--append needs --kernel"),
                new Invocation(List.of("demo", "--kernel", disk, "--machine", "none"), "--kernel needs --machine kvm")));
        refuseEach("cli: malformed or out-of-range value", List.of(
                new Invocation(Args.with(run, "--disk", disk, "-m", "lots"), "lots"),
                new Invocation(Args.with(run, "--disk", disk, "--workload-rate", "-5M"), "-5M"),
                new Invocation(Args.with(run, "--disk", disk, "--workload-read-percent", "101"), "--workload-read-percent 101"),
                new Invocation(Args.with(run, "--disk", disk, "--incoming-timeout", "-1"), "--incoming-timeout -1"),
                new Invocation(Args.with(run, "--disk", disk, "--smp", "0"), "--smp 0"),
                new Invocation(List.of("demo", "--memory", "15M"), "--memory 15M"),
                new Invocation(List.of("demo", "--memory", "17M"), "--memory 17M"),
                new Invocation(List.of("demo", "--guest-mem-rate", "-5M"), "-5M"),
                new Invocation(List.of("run", "--machine", "vax", "--disk", disk), "vax"),
                new Invocation(Args.with(run, "--disk", disk + ",format=vmdk"), "vmdk"),
                new Invocation(Args.with(run, "--disk", disk + ",colour=blue"), "colour"),
                new Invocation(Args.with(run, "--disk", disk, "--incoming", "carrier-pigeon:home"), "carrier-pigeon"),
                new Invocation(Args.with(run, "--disk", disk, "--incoming", "tcp:127.0.0.1:99999"), "99999"),
                new Invocation(List.of("run", "--machine", "none", "--monitor", "telnet:4444", "--disk", disk), "telnet"),
                new Invocation(List.of("img", "create", "-f", "raw", dir.resolve("big.img").toString(), "12Q"), "12Q"),
                new Invocation(List.of("img", "create", "-f", "raw", dir.resolve("odd.img").toString(), "1000"), "1000"),
                new Invocation(List.of("img", "create", "-f", "raw", disk, "1M"), disk)));
    }

    private static void answerEach(FerryProcess vm, String fault, List<Line> lines) throws Exception {
        FaultSummary.repeat(fault, lines.size(), i -> {
            Line bad = lines.get(i);
            List<String> answer = vm.command(bad.command());
            assertEquals(1, answer.size(), bad.command() + " answered " + answer);
            String line = answer.getFirst();
            System.out.println(bad.command() + " -> " + line);
            assertTrue(line.contains(bad.mentions()), bad.command() + " answered: " + line);
            assertFalse(line.contains("Exception"), line);
            assertEquals("VM status: running", vm.answer("info status"), "after " + bad.command());
        });
    }

    private static void refuseEach(String fault, List<Invocation> invocations) throws Exception {
        FaultSummary.repeat(fault, invocations.size(), i -> {
            Invocation bad = invocations.get(i);
            FerryImage.Result result = FerryImage.run(60, bad.args().toArray(String[]::new));
            String command = "ferry " + String.join(" ", bad.args());
            List<String> lines = result.stderr().lines().toList();
            System.out.println(command + " -> " + lines);
            assertNotEquals(0, result.exitCode(), command);
            assertEquals(1, lines.size(), command + " printed " + lines);
            assertTrue(lines.getFirst().startsWith("ferry: ") && lines.getFirst().contains(bad.mentions()),
                    command + ": " + lines.getFirst());
            assertFalse(lines.getFirst().contains("Exception"), lines.getFirst());
        });
    }
}
