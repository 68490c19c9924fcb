package dev.ferry.monitor.vm;

import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.state.MachineConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * The part of a VM that runs and migrates: the built-in guest on KVM ({@link GuestVm}), or, with
 * no vCPU, disks that a host workload writes ({@link DiskOnlyVm}). The session around it does
 * the monitor, the transports and the storage copy.
 */
sealed interface VmBody extends Pausable, AutoCloseable permits GuestVm, DiskOnlyVm {

    /** "kvm" or "none", as {@code --machine} names it. */
    String machine();

    /** The KVM machine's shape, if this is one. */
    Optional<MachineConfig> kvmConfig();

    /** Every drive, id to open image, in the VM's order. */
    SequencedMap<String, BlockDevice> disks();

    /**
     * Why this VM cannot migrate, if it cannot (QEMU calls it a migration blocker): checked before
     * any connection, so the source never pauses for a migration its destination could not take.
     */
    Optional<String> migrationBlocker();

    /**
     * Starts the guest or the workloads.
     *
     * @return when they were let go ({@link System#nanoTime()})
     */
    long start();

    /** Registers what migrates besides the disks: RAM (live) first, then CPU, device or workload state. */
    void registerSections(SectionRegistry registry);

    /** The drives whose host workload state migrates. */
    List<String> workloadDrives();

    /** Lines for {@code info guest}. */
    List<String> guestLines();

    /** Asks the guest (or workload) to verify all it wrote; returns its one-line verdict. */
    String verify(Duration timeout) throws IOException;

    /** Whether the guest ended by itself (stopped, crashed): the process should end too. */
    Optional<String> ended();

    @Override
    void close();
}
