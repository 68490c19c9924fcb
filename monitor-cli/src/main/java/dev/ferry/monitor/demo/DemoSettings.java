package dev.ferry.monitor.demo;

import dev.ferry.vm.linux.LinuxBoot;
import java.time.Duration;
import java.util.Optional;

/**
 * What {@code ferry demo} was asked to show.
 *
 * @param mode "full" or "inc"
 * @param transport "tcp", "unix" or "exec"
 * @param machine "kvm" or "none"
 * @param diskBytes the migrated disk's size
 * @param writeRate bytes per second the guest writes to its disk while it migrates
 * @param memoryBytes the built-in guest's RAM
 * @param memRate bytes per second the built-in guest rewrites in its RAM while it migrates
 * @param incBytes data of its own in the incremental demo's overlay
 * @param json print one JSON line instead of the summary
 * @param timeout the longest the migration may take
 * @param runBefore how long the built-in guest runs on the source before {@code migrate}
 * @param tls migrate over TLS, with credentials from a scratch CA
 * @param verbose run both VMs with {@code -v} and copy their logs to stderr afterwards
 * @param linux the Linux guest to run instead of the built-in one (machine "kvm"), if any
 */
public record DemoSettings(String mode, String transport, String machine, long diskBytes, long writeRate,
                           long memoryBytes, long memRate, long incBytes,
                           boolean json, Duration timeout, Duration runBefore, boolean tls,
                           boolean verbose, Optional<LinuxBoot> linux) {
}
