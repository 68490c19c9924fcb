package dev.ferry.vm.state;

import java.util.List;
import java.util.Optional;

/**
 * The shape of a machine, sent first in a migration stream: the destination refuses the stream
 * before any state is applied (and long before the source pauses) unless its own machine has the
 * same shape and can run the source's guest CPU.
 *
 * @param memoryBytes guest RAM
 * @param vcpus vCPU count
 * @param irqchip whether KVM's in-kernel irqchip is in use
 * @param linux whether the machine is the PC a Linux kernel runs on (in-kernel PIT, CMOS clock,
 *     CPUID naming the hypervisor) rather than the built-in guest's; a destination builds the same
 * @param disks the virtio-blk disks in bus order
 * @param cpu the guest CPU of a KVM machine (empty where no vCPU runs)
 */
public record MachineConfig(long memoryBytes, int vcpus, boolean irqchip, boolean linux, List<DiskConfig> disks,
                            Optional<CpuModel> cpu) {

    /** Copies the disk list. */
    public MachineConfig {
        disks = List.copyOf(disks);
    }
}
