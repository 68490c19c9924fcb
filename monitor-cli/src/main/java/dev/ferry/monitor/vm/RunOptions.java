package dev.ferry.monitor.vm;

import dev.ferry.transport.TlsCredentials;
import dev.ferry.vm.linux.LinuxBoot;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What {@code ferry run} was asked for, parsed and checked.
 *
 * @param machine "kvm" or "none"
 * @param memoryBytes guest RAM (kvm)
 * @param vcpus vCPU count (kvm)
 * @param drives the disks, in order
 * @param linux the Linux kernel to boot instead of the built-in guest (kvm)
 * @param workload what the guest or host workload does
 * @param serial where the guest's UART goes: "stdio", "none" or a file path
 * @param monitor "stdio", "none" or "unix:PATH"
 * @param qmp where the QMP (JSON) monitor listens: "unix:PATH[,server]" or "tcp:HOST:PORT[,server]"
 * @param incoming wait for an incoming migration on this URI instead of booting
 * @param incomingTimeout how long to wait for the source to connect (zero: for ever)
 * @param tls the credentials every migration in and out runs TLS with, when given
 */
public record RunOptions(String machine, long memoryBytes, int vcpus, List<DriveSpec> drives, Optional<LinuxBoot> linux,
                         WorkloadSettings workload,
                         String serial, String monitor, Optional<String> qmp, Optional<String> incoming, Duration incomingTimeout,
                         Optional<TlsCredentials> tls) {

    public RunOptions {
        drives = List.copyOf(drives);
    }
}
