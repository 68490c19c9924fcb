package dev.ferry.monitor;

import dev.ferry.monitor.demo.Demo;
import dev.ferry.monitor.demo.DemoSettings;
import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.vm.MachineSpec;
import dev.ferry.vm.linux.LinuxBoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ferry demo}: a live migration with storage copy of the built-in guest, or of a Linux guest given with --kernel. */
@Command(name = "demo", description = "Live-migrate a VM and its disk between two ferry processes on this host, then verify.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--mode", defaultValue = "full", paramLabel = "full|inc",
            description = "full: copy the whole disk; inc: copy a qcow2 overlay over a shared backing file (default ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--transport", defaultValue = "tcp", paramLabel = "tcp|unix|exec", description = "Default ${DEFAULT-VALUE}.")
    String transport;

    @Option(names = "--machine", defaultValue = "auto", paramLabel = "kvm|none|auto",
            description = "kvm: the built-in guest; none: a host workload on the disk, no vCPU; auto (default): kvm if /dev/kvm is usable.")
    String machine;

    @Option(names = "--disk-size", defaultValue = "1G", paramLabel = "SIZE", description = "Default ${DEFAULT-VALUE}.")
    String diskSize;

    @Option(names = "--guest-write-rate", defaultValue = "1M", paramLabel = "RATE",
            description = "Bytes per second the guest writes to its disk during the migration (default ${DEFAULT-VALUE}).")
    String writeRate;

    @Option(names = "--memory", defaultValue = "256M", paramLabel = "SIZE",
            description = "The built-in guest's RAM (default ${DEFAULT-VALUE}); a Linux guest gets 256M.")
    String memory;

    @Option(names = "--guest-mem-rate", defaultValue = "4M", paramLabel = "RATE",
            description = "Bytes per second the built-in guest rewrites in its RAM during the migration (default ${DEFAULT-VALUE}).")
    String memRate;

    @Option(names = "--inc-data", defaultValue = "100M", paramLabel = "SIZE",
            description = "With --mode inc: the overlay's own data (default ${DEFAULT-VALUE}).")
    String incData;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS", description = "Give up after (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--run-before", defaultValue = "3", paramLabel = "SECONDS",
            description = "How long the built-in guest runs on the source before it moves (default ${DEFAULT-VALUE}): "
                    + "by then both processes have rehearsed the disk's copy, as a VM that has run a while has.")
    double runBeforeSeconds;

    @Option(names = "--tls", description = "Migrate over TLS 1.3 (--tls-creds), with certificates a scratch CA makes for the demo.")
    boolean tls;

    @Option(names = "--kernel", paramLabel = "PATH",
            description = "Run this Linux kernel (a bzImage) as the guest instead of the built-in one; KVM only. The demo reads the"
                    + " console of the test guest tools/linux-guest/build makes: its /init writes records to the disk and verifies them.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "PATH", description = "With --kernel: its initial RAM disk.")
    Path initrd;

    @Option(names = "--append", defaultValue = "", paramLabel = "CMDLINE",
            description = "With --kernel: its command line (default '" + Demo.LINUX_CMDLINE + "').")
    String append;

    @Option(names = "--json", description = "Print one JSON line of figures instead of the summary.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!mode.equals("full") && !mode.equals("inc")) {
            throw new IllegalArgumentException("--mode '" + mode + "' is not full or inc");
        }
        long memoryBytes = Sizes.parse(memory, 'M');
        // Checked here, not by the two VMs, so a bad size is one line before anything starts.
        if (memoryBytes < (long) MachineSpec.MIN_MEMORY_MIB << 20 || memoryBytes % (2L << 20) != 0) {
            throw new IllegalArgumentException("--memory " + memory + ": must be a whole number of 2 MiB, at least "
                    + MachineSpec.MIN_MEMORY_MIB + "M");
        }
        long memRateBytes = Sizes.parse(memRate, 'B');
        Optional<LinuxBoot> linux = LinuxGuestOptions.check(kernel, initrd,
                kernel != null && append.isEmpty() ? Demo.LINUX_CMDLINE : append, machine, Demo.LINUX_MEMORY_BYTES);
        String kind = linux.isPresent() ? "kvm" : MachineChoice.resolve(machine, notice -> {
            System.err.println("ferry demo: " + notice);
            if (!json) {
                System.out.println("ferry demo: the VM runs without vCPU (--machine none): a host workload stands in for the guest,");
                System.out.println("  writing self-checking blocks to the disk.");
            }
        });
        if (!(runBeforeSeconds >= 0 && runBeforeSeconds <= 3600)) {
            throw new IllegalArgumentException("--run-before " + runBeforeSeconds + ": must be 0 to 3600 seconds");
        }
        long size = Sizes.parse(diskSize, 'B');
        if (size < (16L << 20) || size % (1 << 20) != 0) {
            throw new IllegalArgumentException("--disk-size must be a whole number of MiB, at least 16M");
        }
        DemoSettings settings = new DemoSettings(mode, transport, kind, size, Sizes.parse(writeRate, 'B'),
                memoryBytes, memRateBytes, Sizes.parse(incData, 'B'), json,
                Duration.ofSeconds(timeoutSeconds), Duration.ofMillis(Math.round(runBeforeSeconds * 1000)), tls,
                Logging.verbose(), linux);
        return new Demo(settings, launcher(), System.out).run();
    }

    /** The image's own launcher: the demo's VMs are ferry processes of the same build. */
    private static Path launcher() {
        Path ferry = Path.of(System.getProperty("java.home"), "bin", "ferry");
        if (!Files.isExecutable(ferry)) {
            throw new IllegalStateException("ferry demo runs from the ferry runtime image (no " + ferry + "); build it with ./mvnw package");
        }
        return ferry;
    }
}
