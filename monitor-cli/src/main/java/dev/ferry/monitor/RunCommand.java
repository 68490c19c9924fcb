package dev.ferry.monitor;

import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.monitor.vm.DriveSpec;
import dev.ferry.monitor.vm.RunOptions;
import dev.ferry.monitor.vm.VmLauncher;
import dev.ferry.monitor.vm.WorkloadSettings;
import dev.ferry.transport.TlsCredentials;
import dev.ferry.vm.linux.LinuxBoot;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ferry run}: starts a VM, or waits for one to migrate in. */
@Command(name = "run", description = "Start a VM running the built-in guest, or wait for an incoming migration.")
final class RunCommand implements Callable<Integer> {

    @Option(names = {"-m", "--memory"}, defaultValue = "256M", paramLabel = "SIZE", description = "Guest RAM (default ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = {"--smp", "-smp"}, defaultValue = "1", paramLabel = "N", description = "vCPUs (default ${DEFAULT-VALUE}).")
    int vcpus;

    @Option(names = {"--disk", "-drive", "--drive"}, paramLabel = "[file=]PATH[,format=raw|qcow2][,id=NAME][,readonly=on][,backing=PATH]",
            description = "A virtio-blk disk; repeat for more. Ids default to vda, vdb, ...")
    List<String> disks = new ArrayList<>();

    @Option(names = {"--machine", "-machine", "-M"}, defaultValue = "auto", paramLabel = "kvm|none|auto",
            description = "kvm: the built-in guest on /dev/kvm; none: no vCPU, a host workload writes the first disk; "
                    + "auto (default): kvm when /dev/kvm is usable, else none.")
    String machine;

    @Option(names = {"--kernel", "-kernel"}, paramLabel = "PATH",
            description = "Boot this Linux kernel (a bzImage, x86-64 boot protocol 2.12+) instead of the built-in guest; --machine kvm.")
    Path kernel;

    @Option(names = {"--initrd", "-initrd"}, paramLabel = "PATH", description = "With --kernel: its initial RAM disk.")
    Path initrd;

    @Option(names = {"--append", "-append"}, defaultValue = "", paramLabel = "CMDLINE",
            description = "With --kernel: its command line, e.g. 'console=ttyS0'.")
    String append;

    @Option(names = "--workload-rate", defaultValue = "1M", paramLabel = "RATE",
            description = "Disk bytes per second the guest (or host workload) writes and reads back (default ${DEFAULT-VALUE}; 0: idle).")
    String workloadRate;

    @Option(names = "--workload-mem-rate", defaultValue = "4M", paramLabel = "RATE",
            description = "RAM bytes per second the guest rewrites (default ${DEFAULT-VALUE}; kvm only).")
    String memRate;

    @Option(names = "--workload-block-size", defaultValue = "4K", paramLabel = "SIZE", description = "Disk block size (default ${DEFAULT-VALUE}).")
    String blockSize;

    @Option(names = "--workload-read-percent", defaultValue = "30", paramLabel = "N",
            description = "Share of disk operations that read back and check a block (default ${DEFAULT-VALUE}).")
    int readPercent;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seeds the workload (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"--serial", "-serial"}, defaultValue = "stdio", paramLabel = "stdio|none|file:PATH", description = "Where the guest's UART goes.")
    String serial;

    @Option(names = {"--monitor", "-monitor"}, defaultValue = "stdio", paramLabel = "stdio|unix:PATH|none", description = "Where the monitor listens.")
    String monitor;

    @Option(names = {"--qmp", "-qmp"}, paramLabel = "unix:PATH[,server]|tcp:HOST:PORT[,server]",
            description = "Serve QEMU's machine protocol (QMP, JSON) there too.")
    String qmp;

    @Option(names = {"--incoming", "-incoming"}, paramLabel = "URI|defer",
            description = "Wait for a migration on URI (tcp:HOST:PORT, unix:PATH, fd:N, exec:CMD); defer: wait for the monitor's migrate_incoming URI.")
    String incoming;

    @Option(names = "--incoming-timeout", defaultValue = "0", paramLabel = "SECONDS",
            description = "Give up when no source connects in time (default 0: wait for ever).")
    int incomingTimeout;

    @Option(names = "--tls-creds", paramLabel = "DIR",
            description = "Every migration of this process, in and out, uses TLS 1.3 with both peers' x509 certificates verified. "
                    + "DIR holds ca-cert.pem, server-cert.pem + server-key.pem (to receive), client-cert.pem + client-key.pem (to send); "
                    + "keys in PEM, PKCS#8 or PKCS#1 RSA, unencrypted. tcp: and unix: URIs only.")
    Path tlsCreds;

    @Option(names = "--tls-authz", paramLabel = "FILE",
            description = "With --tls-creds: admit only sources whose certificate subject is listed in FILE "
                    + "(one distinguished name per line, e.g. CN=host-a,O=example; # comments).")
    Path tlsAuthz;

    @Override
    public Integer call() throws Exception {
        List<DriveSpec> drives = new ArrayList<>();
        for (String disk : disks) {
            drives.add(DriveSpec.parse(disk, drives.size()));
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("--smp " + vcpus + " is out of range (at least 1 vCPU)");
        }
        if (incomingTimeout < 0) {
            throw new IllegalArgumentException("--incoming-timeout " + incomingTimeout + " is negative (0 waits for ever)");
        }
        if (readPercent < 0 || readPercent > 100) {
            throw new IllegalArgumentException("--workload-read-percent " + readPercent + " is out of range (0..100)");
        }
        long memoryBytes = Sizes.parse(memory, 'M');
        Optional<LinuxBoot> linux = linux(memoryBytes);
        RunOptions options = new RunOptions(linux.isPresent() ? "kvm" : machine(), memoryBytes, vcpus, drives, linux,
                new WorkloadSettings(Sizes.parse(workloadRate, 'B'), Sizes.parse(memRate, 'B'),
                        Math.toIntExact(Sizes.parse(blockSize, 'B')), readPercent, seed),
                serial.startsWith("file:") ? serial.substring("file:".length()) : serial, monitor,
                Optional.ofNullable(qmp), Optional.ofNullable(incoming), Duration.ofSeconds(incomingTimeout), tls());
        return VmLauncher.run(options);
    }

    /**
     * The Linux guest asked for, checked against the guest's RAM before anything starts. With
     * --incoming it is checked and not loaded, as QEMU users give a destination the source's command
     * line: the kernel arrives in the migrated RAM, and the source's machine says it is a Linux PC.
     */
    private Optional<LinuxBoot> linux(long memoryBytes) throws IOException {
        return LinuxGuestOptions.check(kernel, initrd, append, machine, memoryBytes);
    }

    private Optional<TlsCredentials> tls() throws IOException {
        if (tlsCreds == null) {
            if (tlsAuthz != null) {
                throw new IllegalArgumentException("--tls-authz needs --tls-creds");
            }
            return Optional.empty();
        }
        return Optional.of(TlsCredentials.load(tlsCreds, Optional.ofNullable(tlsAuthz)));
    }

    private String machine() {
        return MachineChoice.resolve(machine, notice -> System.err.println("ferry: " + notice
                + " (disks and a host workload, no vCPU)"));
    }
}
