package dev.ferry.monitor.vm;

import dev.ferry.vm.state.MachineConfig;
import java.util.List;
import java.util.Optional;

/**
 * What a source sends before any state, for the destination to check first (and to learn which
 * sections to expect): the machine type and shape, the drives, which of them the storage copy
 * carries, and which drives have a host workload whose state follows.
 *
 * @param machine "kvm" or "none"
 * @param kvm the KVM machine's shape, for machine "kvm"
 * @param drives every drive of the source, in order, with what the destination checks
 * @param storage "none", "full" or "incremental"
 * @param copied the drives the storage copy carries
 * @param workloads the drives with a host workload (machine "none")
 */
public record VmConfig(String machine, Optional<MachineConfig> kvm, List<DriveFacts> drives, String storage,
                       List<String> copied, List<String> workloads) {

    public VmConfig {
        drives = List.copyOf(drives);
        copied = List.copyOf(copied);
        workloads = List.copyOf(workloads);
    }

    /** The drive ids, in order. */
    public List<String> driveIds() {
        return drives.stream().map(DriveFacts::id).toList();
    }
}
