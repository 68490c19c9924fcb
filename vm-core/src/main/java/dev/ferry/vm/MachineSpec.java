package dev.ferry.vm;

import java.util.List;
import java.util.Objects;

/**
 * What to build: the shape of a machine running the built-in guest.
 *
 * @param memoryBytes guest RAM, a multiple of 2 MiB, at least {@value #MIN_MEMORY_MIB} MiB
 * @param vcpus vCPU count; the built-in guest runs on vCPU 0, the others wait halted
 * @param disks virtio-blk disks, the first one is the guest's workload disk
 * @param workload what the guest does
 * @param irqchip use KVM's in-kernel irqchip when the host has one, so device interrupt lines
 *     reach the guest; the built-in guest polls and keeps interrupts off, so it does not need it
 */
public record MachineSpec(long memoryBytes, int vcpus, List<DiskSpec> disks, GuestWorkload workload, boolean irqchip) {

    /** The least guest RAM a machine may have, in MiB. */
    public static final int MIN_MEMORY_MIB = 16;
    /** The most vCPUs a machine may have. */
    public static final int MAX_VCPUS = 64;
    /** The most disks a machine may have. */
    public static final int MAX_DISKS = 16;

    /**
     * Checks the sizes.
     *
     * @throws IllegalArgumentException naming the first bad value
     */
    public MachineSpec {
        disks = List.copyOf(disks);
        Objects.requireNonNull(workload, "workload");
        if (memoryBytes < (long) MIN_MEMORY_MIB << 20 || memoryBytes % (2L << 20) != 0) {
            throw new IllegalArgumentException("machine memory " + memoryBytes + " bytes: must be a multiple of 2 MiB and at least "
                    + MIN_MEMORY_MIB + " MiB");
        }
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("machine vCPUs " + vcpus + ": must be 1.." + MAX_VCPUS);
        }
        if (disks.size() > MAX_DISKS) {
            throw new IllegalArgumentException("machine disks: " + disks.size() + ", at most " + MAX_DISKS);
        }
    }

    /**
     * One vCPU, no irqchip, the default workload.
     *
     * @param memoryBytes guest RAM, a multiple of 2 MiB
     * @param disks virtio-blk disks
     * @return the spec
     */
    public static MachineSpec of(long memoryBytes, List<DiskSpec> disks) {
        return new MachineSpec(memoryBytes, 1, disks, GuestWorkload.defaults(), false);
    }

    /**
     * This spec with another workload.
     *
     * @param other the workload
     * @return the new spec
     */
    public MachineSpec withWorkload(GuestWorkload other) {
        return new MachineSpec(memoryBytes, vcpus, disks, other, irqchip);
    }

    /**
     * This spec with other disks.
     *
     * @param other the disks
     * @return the new spec
     */
    public MachineSpec withDisks(List<DiskSpec> other) {
        return new MachineSpec(memoryBytes, vcpus, other, workload, irqchip);
    }
}
