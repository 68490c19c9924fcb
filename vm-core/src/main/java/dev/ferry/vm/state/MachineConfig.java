package dev.ferry.vm.state;

import java.util.List;

/**
 * The shape of a machine, sent first in a migration stream: the destination refuses the stream
 * before any state is applied unless its own machine has the same shape.
 *
 * @param memoryBytes guest RAM
 * @param vcpus vCPU count
 * @param irqchip whether KVM's in-kernel irqchip is in use
 * @param disks the virtio-blk disks in bus order
 */
public record MachineConfig(long memoryBytes, int vcpus, boolean irqchip, List<DiskConfig> disks) {

    public MachineConfig {
        disks = List.copyOf(disks);
    }
}
