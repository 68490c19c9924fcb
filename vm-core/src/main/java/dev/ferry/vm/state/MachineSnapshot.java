package dev.ferry.vm.state;

import dev.ferry.vm.device.state.AcpiPmState;
import dev.ferry.vm.device.state.CmosState;
import dev.ferry.vm.device.state.UartState;
import dev.ferry.vm.device.state.VirtioMmioState;
import java.util.List;
import java.util.Optional;

/**
 * Everything of a paused machine but its RAM and disks: vCPUs, in-kernel devices, UART, CMOS clock,
 * ACPI PM registers and virtio-mmio disks. What a restore into a fresh machine needs beside copies of memory and disks.
 *
 * @param cpus one per vCPU, by id
 * @param kvm the VM-wide KVM state
 * @param uart the serial port
 * @param cmos the CMOS clock of the Linux PC; empty on the built-in guest's machine
 * @param acpiPm the ACPI PM1a registers of the Linux PC; empty on the built-in guest's machine
 * @param disks one per virtio-mmio disk, in bus order
 */
public record MachineSnapshot(List<CpuSnapshot> cpus, KvmVmSnapshot kvm, UartState uart, Optional<CmosState> cmos,
                              Optional<AcpiPmState> acpiPm, List<VirtioMmioState> disks) {

    /** Copies the lists. */
    public MachineSnapshot {
        cpus = List.copyOf(cpus);
        disks = List.copyOf(disks);
    }
}
